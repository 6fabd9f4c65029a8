"""Metrics for code-switched speech: edit alignment, semantic distance and SAER."""
