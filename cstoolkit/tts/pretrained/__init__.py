"""cstoolkit.tts.pretrained"""
