"""Code-switched ASR: ESPnet conformer CTC/attention model, training stage, decoding, Whisper baseline.

The model's text tokens come from :mod:`cstoolkit.text.tokens`; its data, trainer and config groups are the
shared ones of :mod:`cstoolkit.data.loader` and :mod:`cstoolkit.train`.

Heavy imports (torch, espnet) happen on first use: ``from cstoolkit.asr import transcribe`` stays cheap.
"""

from __future__ import annotations

from cstoolkit.lazy import lazy_exports

__all__ = ["decode_dir", "load_asr", "train_asr", "transcribe"]

_WHERE = {
    "decode_dir": "cstoolkit.asr.inference",
    "load_asr": "cstoolkit.asr.inference",
    "transcribe": "cstoolkit.asr.inference",
    "train_asr": "cstoolkit.asr.train",
}


__getattr__ = lazy_exports(__name__, _WHERE)
