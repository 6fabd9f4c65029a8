"""A toy corpus (tones + real fbank features) and its units, for the trainer tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TINY = ["asr=tiny", "trainer.enable_progress_bar=false", "units.spm_vocab_size=30"]


@pytest.fixture(scope="session")
def cfg():
    from cstoolkit.config import load_config

    return load_config(TINY)


@pytest.fixture(scope="session")
def toy(tmp_path_factory, cfg) -> Path:
    from cstoolkit.asr.synthetic import make_toy_corpus

    return make_toy_corpus(tmp_path_factory.mktemp("toytrain"), cfg.features.fbank, 48, seed=3)
