"""cstoolkit.core"""
