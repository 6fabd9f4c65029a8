"""Fixtures for the data tests (helpers live in data_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parent))
from data_helpers import TINY_MINI, tone

from cstoolkit.config import load_config


@pytest.fixture
def tiny_overrides() -> list[str]:
    return list(TINY_MINI)


@pytest.fixture
def tiny_cfg():
    return load_config(TINY_MINI)


@pytest.fixture
def flac_files(tmp_path: Path) -> list[Path]:
    """Three short 16 kHz FLAC files of different lengths."""
    paths = []
    for i, seconds in enumerate((1.0, 1.7, 2.3)):
        path = tmp_path / "audio" / f"a{i}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(seconds, 16000, freq=150 + 50 * i, seed=i), 16000, subtype="PCM_16")
        paths.append(path)
    return paths
