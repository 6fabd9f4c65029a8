"""cstoolkit.tts.eval"""
