"""Test-wide settings: never touch the network, never open a window."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


import pytest

#: Overrides of the tiny ASR configuration shared by the ASR and trainer tests.
TINY_ASR = ["asr=tiny", "trainer.enable_progress_bar=false", "units.spm_vocab_size=30", "augment=none"]


@pytest.fixture(scope="session")
def cfg():
    """The composed config with the tiny ASR model (tests/data overrides this fixture with its own)."""
    from cstoolkit.config import load_config

    return load_config(TINY_ASR)
