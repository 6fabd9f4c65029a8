"""A toy corpus (tones + real fbank features) and its units, for the trainer tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def toy(tmp_path_factory, cfg) -> Path:
    from cstoolkit.asr.synthetic import make_toy_corpus

    return make_toy_corpus(tmp_path_factory.mktemp("toytrain"), cfg.features.fbank, 48, seed=3)
