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
    from cstoolkit.asr.synthetic import make_toy_split
    from cstoolkit.asr.units import UnitsConfig, build_units
    from cstoolkit.train.io import read_kaldi_map

    root = tmp_path_factory.mktemp("toytrain")
    make_toy_split(root / "train", 48, cfg.features.fbank, seed=3)
    make_toy_split(root / "dev", 6, cfg.features.fbank, seed=4, speaker="spk2")
    build_units(read_kaldi_map(root / "train" / "text").values(), root / "units", UnitsConfig(spm_vocab_size=30))
    return root
