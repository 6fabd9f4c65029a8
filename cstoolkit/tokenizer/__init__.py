"""Supervised semantic speech tokens (CosyVoice): a quantizer inside the CS-ASR encoder, trained with the ASR loss.

``SpeechTokenizer.load("exp/tokenizer")`` encodes waveforms, audio files or feature batches; ``tokenize_dir(s)``
writes ``speech_tokens`` for data directories; ``train_tokenizer`` is the training stage; ``tokenizer_report``
measures the tokens. Heavy imports happen on first use.
"""

from __future__ import annotations

from cstoolkit.lazy import lazy_exports

__all__ = ["SpeechTokenizer", "tokenize_dir", "tokenize_dirs", "tokenizer_report", "train_tokenizer"]

_WHERE = {
    "SpeechTokenizer": "cstoolkit.tokenizer.extract",
    "tokenize_dir": "cstoolkit.tokenizer.extract",
    "tokenize_dirs": "cstoolkit.tokenizer.extract",
    "tokenizer_report": "cstoolkit.tokenizer.report",
    "train_tokenizer": "cstoolkit.tokenizer.train",
}

__getattr__ = lazy_exports(__name__, _WHERE)
