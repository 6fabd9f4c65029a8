"""Fixtures: the toy corpus, a tiny tokenizer trained on it from scratch (quantizer after block 1 of 2), its speech
tokens of the toy splits, and the units aligned to them (copies per test where a test changes files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

#: a tiny tokenizer (2 encoder blocks, 32 codes), trained from scratch for 1 epoch: seconds
TOKENIZER = ["asr=tiny", "asr.encoder.num_blocks=2", "tokenizer=tiny", "tokenizer.init_from_asr=false",
             "tokenizer.train.max_epochs=1", "trainer.enable_progress_bar=false", "units.spm_vocab_size=30",
             "augment=none"]  # fmt: skip
#: the CPU model shrunk to milliseconds a step (same structure)
T2S = ["t2s.model.d_model=32", "t2s.model.ff_mult=2", "t2s.model.encoder_layers=1", "t2s.model.decoder_layers=1",
       "t2s.model.duration_channels=16", "t2s.model.speaker_dim=8", "t2s.train.max_epochs=2", "t2s.train.keep_nbest=1",
       "t2s.batch.max_frames=200", "t2s.scheduler.warmup_steps=5", "t2s.optim.lr=0.003"]  # fmt: skip


@pytest.fixture(scope="session")
def tcfg():
    from cstoolkit.config import load_config

    return load_config([*TOKENIZER, *T2S])


@pytest.fixture(scope="session")
def toy(tmp_path_factory, tcfg) -> Path:
    """``<root>/{train,dev}`` toy data directories with speech tokens, ``<root>/units`` and ``<root>/tokenizer``."""
    from cstoolkit.asr.synthetic import make_toy_corpus
    from cstoolkit.tokenizer.extract import tokenize_dirs
    from cstoolkit.tokenizer.train import train_tokenizer

    root = make_toy_corpus(tmp_path_factory.mktemp("t2s"), tcfg.features.fbank, 24, seed=3)
    train_tokenizer(root / "train", root / "dev", root / "units", root / "tokenizer", tcfg)
    tokenize_dirs(root / "tokenizer", [root / "train", root / "dev"], device="cpu")
    return root


@pytest.fixture(scope="session")
def aligned(toy) -> Path:
    """The toy corpus with ``text_units``, ``unit_durations``, ``unit_langs`` in both splits."""
    from cstoolkit.tts.align import align_dirs

    align_dirs(toy / "tokenizer", [toy / "train", toy / "dev"], device="cpu")
    return toy


@pytest.fixture
def copy_split(tmp_path):
    """``copy_split(src)``: a private copy of a data directory (its feature archive stays shared, read-only)."""

    def make(src: Path) -> Path:
        dst = tmp_path / src.name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("wav", "*.ark"))
        return dst

    return make
