"""Fixtures: a toy code-switched corpus (tones, real fbank features) and a tiny model trained on it once."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def toy(tmp_path_factory, cfg) -> Path:
    """``<root>/{train,dev}`` data directories and ``<root>/units``."""
    from cstoolkit.asr.synthetic import make_toy_corpus

    return make_toy_corpus(tmp_path_factory.mktemp("toy"), cfg.features.fbank, 32, seed=1)


@pytest.fixture(scope="session")
def trained(toy, cfg) -> Path:
    """A tiny model trained for 3 epochs on the toy corpus (about 10 s on 2 cores)."""
    import torch

    from cstoolkit.asr.train import train_asr

    torch.set_num_threads(2)
    exp = toy / "exp"
    train_asr(toy / "train", toy / "dev", toy / "units", exp, cfg)
    return exp
