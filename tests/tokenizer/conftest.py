"""Fixtures: the toy corpus, a tiny 2-block CS-ASR trained on it, and a tokenizer started from it (after block 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

#: a tiny CS-ASR with two encoder blocks, so the quantizer sits inside the encoder
ASR = [
    "asr=tiny",
    "asr.encoder.num_blocks=2",
    "asr.train.max_epochs=2",
    "trainer.enable_progress_bar=false",
    "units.spm_vocab_size=30",
    "augment=none",
]
TOKENIZER = [*ASR, "tokenizer=tiny"]


@pytest.fixture(scope="session")
def tcfg():
    from cstoolkit.config import load_config

    return load_config(TOKENIZER)


@pytest.fixture(scope="session")
def toy(tmp_path_factory, tcfg) -> Path:
    """``<root>/{train,dev}`` toy data directories and ``<root>/units``."""
    from cstoolkit.asr.synthetic import make_toy_corpus

    return make_toy_corpus(tmp_path_factory.mktemp("toy"), tcfg.features.fbank, 32, seed=1)


@pytest.fixture(scope="session")
def asr_dir(toy, tcfg) -> Path:
    from cstoolkit.asr.train import train_asr

    train_asr(toy / "train", toy / "dev", toy / "units", toy / "asr", tcfg)
    return toy / "asr"


@pytest.fixture(scope="session")
def tok_dir(toy, tcfg, asr_dir) -> Path:
    """A tokenizer trained for 2 epochs from the tiny CS-ASR."""
    from cstoolkit.tokenizer.train import train_tokenizer

    train_tokenizer(toy / "train", toy / "dev", None, toy / "tokenizer", tcfg, asr_dir=asr_dir)
    return toy / "tokenizer"
