"""cstoolkit.tts.flow"""
