"""Metrics for code-switched speech: edit alignment, semantic distance, SAER, bootstrap intervals and paired
comparisons (``cstoolkit.metrics.compare``)."""

from cstoolkit.lazy import lazy_exports

# ``compare`` loads on first use, so that ``import cstoolkit.metrics.align`` stays light
__getattr__ = lazy_exports(__name__, {"compare": "cstoolkit.metrics.api"})
