"""cstoolkit: code-switched speech toolkit (SAER metric, CS-ASR, speech tokens, TTS recipes)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from cstoolkit.lazy import lazy_exports

try:
    __version__ = version("cstoolkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+src"

__all__ = ["__version__", "compare", "saer"]


# ``saer`` and ``compare`` load on first use, so that ``import cstoolkit.text`` stays light
__getattr__ = lazy_exports(__name__, {"saer": "cstoolkit.metrics.api", "compare": "cstoolkit.metrics.api"})
