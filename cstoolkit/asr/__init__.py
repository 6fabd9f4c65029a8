"""Code-switched ASR: units, ESPnet conformer CTC/attention model, training stage, decoding, Whisper baseline.

Heavy imports (torch, espnet) happen on first use: ``from cstoolkit.asr import transcribe`` stays cheap.
"""

from __future__ import annotations

from cstoolkit.lazy import lazy_exports

__all__ = ["Tokenizer", "build_units", "decode_dir", "load_asr", "train_asr", "transcribe"]

_WHERE = {
    "Tokenizer": "cstoolkit.asr.units",
    "build_units": "cstoolkit.asr.units",
    "decode_dir": "cstoolkit.asr.inference",
    "load_asr": "cstoolkit.asr.inference",
    "transcribe": "cstoolkit.asr.inference",
    "train_asr": "cstoolkit.asr.train",
}


__getattr__ = lazy_exports(__name__, _WHERE)
