"""Decoding through the quantizer: a tokenizer directory used as a CS-ASR model by :mod:`cstoolkit.asr.inference`."""

from __future__ import annotations

from pathlib import Path

from cstoolkit.asr.inference import AsrBundle
from cstoolkit.core.modeldir import UNITS_SUBDIR
from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tokenizer.extract import SpeechTokenizer


def load_as_asr(model_dir: str | Path, device: str = "auto") -> AsrBundle:
    """The tokenizer's whole ASR model (encoder with the quantizer after block k, CTC, decoder) as an AsrBundle:
    ``decode_dir`` and ``transcribe`` then decode from the tokens' information only."""
    tok = SpeechTokenizer.load(model_dir, device)
    return AsrBundle(tok.model, TextTokenizer(Path(model_dir) / UNITS_SUBDIR), tok.cfg, tok.device)
