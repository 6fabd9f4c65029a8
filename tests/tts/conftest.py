"""Fixtures for the TTS tests: espeak-ng speech (real speech-like audio, synthesised offline), the mel settings of
the features stage, and tiny flow-model configurations."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# the toy corpus, tokenizer, alignment and whole-TTS fixtures of the text -> token and TTS API tests
from t2s_fixtures import aligned, ar_cfg, copy_split, tcfg, toy, tts_cfg, tts_exp  # noqa: F401
from tts_helpers import CONF, SMALL_SPEAKERS, flow_config, write_fake_tokenizer, write_flow_dir


@pytest.fixture(scope="session")
def mel_cfg() -> dict:
    """The ``mel:`` group of conf/features/default.yaml (what the features stage computes)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.load(CONF / "features" / "default.yaml").mel)


@pytest.fixture(scope="session")
def flow_cpu_cfg():
    """The ``flow`` group of the composed config (conf/flow/flow_cpu.yaml with its shared groups), with the values
    that training measures from the data filled in (vocab 50, 25 tokens/s, log-mel mean -5 and std 2)."""
    from cstoolkit.config import load_config
    from cstoolkit.tts.flow.model import fill_from_data

    return fill_from_data(load_config([]).flow, vocab_size=50, token_rate=25.0, mel_mean=-5.0, mel_std=2.0)


@pytest.fixture
def tiny_cfg(flow_cpu_cfg):
    """conf/flow/flow_cpu.yaml shrunk to a model that runs in milliseconds (same structure, fewer channels)."""
    cfg = flow_cpu_cfg.copy()
    cfg.model.encoder.merge_with({"vocab_size": 50, "d_model": 32, "layers": 1, "dropout": 0.0})
    cfg.model.estimator.merge_with({"channels": [32, 48], "transformer_layers": [0, 1], "dropout": 0.0})
    return cfg


@pytest.fixture(scope="session")
def flow_data(tmp_path_factory) -> Path:
    """A small synthetic data directory of 0.2-0.3 s utterances (do not modify: copy it)."""
    return write_flow_dir(tmp_path_factory.mktemp("flow") / "data", SMALL_SPEAKERS, n_tokens=(4, 6))


@pytest.fixture(scope="session")
def flow_exp(flow_data) -> Path:
    """A tiny flow model trained for 2 epochs on :func:`flow_data` with a fake tokenizer (``exp_dir``)."""
    from cstoolkit.tts.flow.train import train_flow

    root = flow_data.parent
    train_flow(flow_data, flow_data, write_fake_tokenizer(root / "tokenizer"), root / "exp", flow_config())
    return root / "exp"
