"""Fixtures for the TTS tests: espeak-ng speech (real speech-like audio, synthesised offline), the mel settings of
the features stage, and tiny flow-model configurations."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CONF = Path(__file__).resolve().parents[2] / "conf"


def espeak(text: str, voice: str = "en-us", pitch: int = 50, rate: int = 165) -> tuple[np.ndarray, int]:
    """Mono float32 speech from espeak-ng, peak-normalised to 0.9 like the demo corpus, and its sample rate."""
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    cmd = ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(rate), "--stdout", text]
    samples, sr = sf.read(io.BytesIO(subprocess.run(cmd, capture_output=True, check=True).stdout), dtype="float32")
    return (samples / np.abs(samples).max() * 0.9).astype(np.float32), sr


@pytest.fixture(scope="session")
def mel_cfg() -> dict:
    """The ``mel:`` group of conf/features/default.yaml (what the features stage computes)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.load(CONF / "features" / "default.yaml").mel)


@pytest.fixture
def tiny_cfg():
    """conf/tts/flow_cpu.yaml shrunk to a model that runs in milliseconds (same structure, fewer channels)."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(CONF / "tts" / "flow_cpu.yaml")
    cfg.model.encoder.merge_with({"vocab_size": 50, "d_model": 32, "layers": 1, "dropout": 0.0})
    cfg.model.estimator.merge_with({"channels": [32, 48], "transformer_layers": [0, 1], "dropout": 0.0})
    return cfg
