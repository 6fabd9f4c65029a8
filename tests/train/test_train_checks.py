"""Checks of the values every trained model shares (trainer, devices, optim, scheduler), before torch loads."""

from __future__ import annotations

import re

import pytest
from omegaconf import OmegaConf

from cstoolkit.asr.checks import check_train_config
from cstoolkit.config import load_config
from cstoolkit.core import runtime
from cstoolkit.errors import ConfigError
from cstoolkit.train import checks

TINY = ["asr=tiny"]


def test_gpu_trainer_without_gpu_is_one_line(monkeypatch) -> None:
    monkeypatch.setattr(runtime, "_torch_cuda_count", lambda: 0)
    with pytest.raises(ConfigError, match=re.escape("trainer.accelerator=gpu: no CUDA GPU")):
        check_train_config(load_config([*TINY, "trainer=gpu"]))


@pytest.mark.parametrize(
    "name, count, expected",
    [("cpu", 0, "cpu"), ("auto", 0, "cpu"), ("auto", 1, "cuda"), ("gpu", 1, "cuda"), ("cuda:1", 2, "cuda:1")],
)
def test_resolve_device(name, count, expected) -> None:
    assert checks.resolve_device(name, cuda_count=lambda: count) == expected


@pytest.mark.parametrize(
    "name, count, needle",
    [
        ("cuda", 0, "no CUDA GPU"),
        ("gpu", 0, "no CUDA GPU"),
        ("cuda:3", 1, "GPU 3 does not exist"),
        ("tpu", 1, "unknown device"),
    ],
)
def test_resolve_device_refuses(name, count, needle) -> None:
    with pytest.raises(ConfigError, match=needle):
        checks.resolve_device(name, cuda_count=lambda: count)


@pytest.mark.parametrize(
    "node, needle",
    [
        ({"name": "cosine-ish"}, "sched.name='cosine-ish'"),
        ({"name": "warmuplr", "warmup_steps": 0}, "sched.warmup_steps=0"),
    ],
)
def test_bad_scheduler_values(node, needle) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        checks.check_scheduler_config(OmegaConf.create(node), "sched")
    checks.check_scheduler_config(OmegaConf.create({"name": None}), "sched")


def test_named_optimizers_need_a_target_and_params() -> None:
    good = {
        "d": {"_target_": "torch.optim.SGD", "params": "critic"},
        "g": {"_target_": "torch.optim.Adam", "params": "model"},
    }
    checks.check_optim_config(OmegaConf.create(good), "m.optim")
    with pytest.raises(ConfigError, match=re.escape("m.optim.g.params=None")):
        checks.check_optim_config(OmegaConf.create({"g": {"_target_": "torch.optim.Adam"}}), "m.optim")
    with pytest.raises(ConfigError, match=re.escape("m.optim.g: expected an optimizer")):
        checks.check_optim_config(OmegaConf.create({"g": {"lr": 1}}), "m.optim")


def test_shared_training_values_are_named_by_the_models_key() -> None:
    with pytest.raises(ConfigError, match=re.escape("asr.train.average='yes'")):
        check_train_config(load_config([*TINY, "asr.train.average=yes"]))
