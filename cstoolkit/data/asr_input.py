"""The CS-ASR's input features, what ``feats.scp`` holds: ``features.asr_input`` is ``fbank`` or ``whisper``.

``fbank``: 80-dim Kaldi log-mel filterbank, 10 ms frames (:func:`cstoolkit.data.features.fbank`).
``whisper``: the states of Whisper base's pretrained encoder, 512-dim, 20 ms x ``features.whisper.pool``
(:mod:`cstoolkit.data.whisper_encoder`). The features stage writes them, and everything that makes ASR input from
audio on the fly (decoding a synthesised voice, transcribing a file, extracting speech tokens) calls
:func:`asr_features` with the model's own ``features`` settings, so a model always sees the kind it was trained on.
``cfg`` below is the ``features`` group, a DictConfig or the plain dict the feature workers get.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cstoolkit.core.runtime import capped_threads

ASR_INPUTS = ("fbank", "whisper")


def asr_input_kind(cfg: Any) -> str:
    """``fbank`` (also for settings written before ``asr_input`` existed) or ``whisper``."""
    return str(cfg.get("asr_input") or "fbank")


def asr_frame_seconds(cfg: Any) -> float:
    """Seconds per frame of the ASR input features."""
    if asr_input_kind(cfg) == "whisper":
        from cstoolkit.data.whisper_encoder import HOP, SAMPLE_RATE

        return 2 * HOP * int(cfg["whisper"]["pool"]) / SAMPLE_RATE  # the encoder's stride-2 convolution, then pool
    return float(cfg["fbank"]["frame_shift"]) / 1000.0


def asr_sample_rate(cfg: Any) -> int:
    """The sample rate audio is read at for the ASR input (``features.fbank.sample_rate``; Whisper needs 16 kHz)."""
    return int(cfg["fbank"]["sample_rate"])


def asr_features(samples: np.ndarray, cfg: Any, threads: int = 1) -> np.ndarray:
    """(T, D) float32 ASR input of a mono signal at :func:`asr_sample_rate`.

    ``threads``: CPU threads of the Whisper encoder (a feature worker uses one; a single process may use more).
    """
    if asr_input_kind(cfg) == "whisper":
        from cstoolkit.data.whisper_encoder import whisper_encoder

        return whisper_encoder(cfg["whisper"], capped_threads(threads) or 1)(samples)
    from cstoolkit.data.features import fbank

    return fbank(samples, cfg["fbank"])
