"""cstoolkit: code-switched speech toolkit (SAER metric, CS-ASR, speech tokens, TTS recipes)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("cstoolkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+src"

__all__ = ["__version__", "saer"]


def __getattr__(name: str) -> Any:
    """Import ``saer`` lazily so that ``import cstoolkit.text`` stays light."""
    if name == "saer":
        from cstoolkit.metrics.api import saer

        return saer
    raise AttributeError(f"module 'cstoolkit' has no attribute {name!r}")
