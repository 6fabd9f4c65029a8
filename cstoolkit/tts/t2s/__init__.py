"""cstoolkit.tts.t2s"""
