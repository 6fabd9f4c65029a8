"""The trainer drives a model it knows nothing about: a toy mel regression with two optimizers (manual
optimization) trains through the same fit(), is killed, resumes without redoing an epoch, and is averaged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).parent))
import toy_model

SCRIPT = Path(toy_model.__file__)
ROOT = SCRIPT.parents[2]


def _run(data: Path, exp: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(SCRIPT), str(data), str(exp), *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_two_optimizer_model_trains_is_killed_resumes_and_is_averaged(tmp_path) -> None:
    data = toy_model.write_toy_dir(tmp_path / "data")
    exp = tmp_path / "exp"
    killed = _run(data, exp, "1")  # killed when epoch 1 starts: epoch 0's checkpoint is on disk
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (exp / "model.pth").exists()

    done = _run(data, exp)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((exp / "train_summary.json").read_text())
    assert summary["resumed_from"] and summary["epochs"] == toy_model.EPOCHS
    batches = len(
        toy_model.loader_from_config(
            toy_model.UttDataset(toy_model.read_table(data, toy_model.FIELDS, ["mel_shape"])),
            toy_model.toy_config().batch,
            shuffle=False,
            seed=0,
        )
    )
    assert summary["global_step"] == 2 * batches * toy_model.EPOCHS  # two optimizer steps a batch, no epoch twice
    assert len(summary["averaged_from"]) == 2  # keep_nbest
    state = torch.load(exp / "model.pth", weights_only=True)
    assert set(state) == {"weight", "bias"}  # export_prefix "model.": the regression layer only
    history = [json.loads(line) for line in (exp / "history.jsonl").read_text().splitlines()]
    val = [row["val/loss"] for row in history if "val/loss" in row]
    assert len(val) == toy_model.EPOCHS and val[-1] < val[0]
    assert any({"train/loss", "train/critic_loss", "train/model_loss", "train/mse"} <= set(row) for row in history)


def test_export_prefix_and_best_only_are_settings(tmp_path) -> None:
    from cstoolkit.train.trainer import fit

    data = toy_model.write_toy_dir(tmp_path / "data", n=8)
    cfg = toy_model.toy_config()
    cfg.train.merge_with({"max_epochs": 2, "average": False, "export_prefix": "critic."})
    module = toy_model.build_module(cfg, "toy")
    dataset = toy_model.UttDataset(toy_model.read_table(data, toy_model.FIELDS, ["mel_shape"]))
    loader = toy_model.loader_from_config(dataset, cfg.batch, False, 0, toy_model.padded_collate(masks=["mel"]))
    trainer_cfg = OmegaConf.merge(
        OmegaConf.load(toy_model.conf_dir() / "trainer" / "cpu.yaml"), {"enable_progress_bar": False}
    )
    result = fit(module, loader, loader, tmp_path / "exp", cfg.train, trainer_cfg, seed=0)
    assert len(result.averaged_from) == 1  # the best checkpoint, not averaged
    state = torch.load(result.averaged_model, weights_only=True)
    assert set(state) == {"weight", "bias"} and state["weight"].shape == (1, toy_model.DIM)  # the critic


def test_a_bad_module_target_is_one_line() -> None:
    from cstoolkit.errors import ConfigError
    from cstoolkit.train.module import build_module

    cfg = toy_model.toy_config()
    cfg.module._target_ = "torch.nn.Linear"
    with pytest.raises(ConfigError, match=r"toy.module._target_='torch.nn.Linear'"):
        build_module(cfg, "toy")
