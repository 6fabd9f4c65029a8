"""Reliability: kill -9 then resume, NaN/inf losses skipped and reported, corrupt feature files skipped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from cstoolkit.data.kaldi_dir import read_kaldi_map
from cstoolkit.train.module import NonFiniteLossError
from cstoolkit.train.plot import read_history

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 4


def _train_cmd(toy: Path, exp: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cstoolkit.cli.cstk",
        "train-asr",
        "--train-dir",
        str(toy / "train"),
        "--dev-dir",
        str(toy / "dev"),
        "--units-dir",
        str(toy / "units"),
        "--exp-dir",
        str(exp),
        "asr=tiny",
        "trainer.enable_progress_bar=false",
        f"asr.train.max_epochs={EPOCHS}",
        "asr.batch.max_batch_size=6",
        "augment=none",
    ]


def test_kill_9_then_rerun_resumes_from_last_checkpoint(toy, tmp_path) -> None:
    exp = tmp_path / "exp"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    log1 = (tmp_path / "run1.log").open("w")
    proc = subprocess.Popen(_train_cmd(toy, exp), cwd=ROOT, env=env, stdout=log1, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            if len(list((exp / "checkpoints").glob("epoch*.ckpt"))) >= 1:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "training ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (exp / "model.pth").exists()  # the killed run did not look finished
    import torch

    from cstoolkit.train.trainer import find_resume_checkpoint

    resume_from = find_resume_checkpoint(exp / "checkpoints")
    assert resume_from is not None
    killed_epoch = torch.load(resume_from, map_location="cpu", weights_only=False)["epoch"]
    assert killed_epoch < EPOCHS - 1

    run2 = subprocess.run(_train_cmd(toy, exp), cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert run2.returncode == 0, run2.stderr[-2000:]
    assert f"resuming from {resume_from}" in run2.stderr
    summary = json.loads((exp / "train_summary.json").read_text())
    assert summary["resumed_from"] == resume_from and summary["epochs"] == EPOCHS
    # no epoch trained twice: the step count is exactly that of an uninterrupted run
    steps_per_epoch = summary["global_step"] // EPOCHS
    assert summary["global_step"] == steps_per_epoch * EPOCHS
    vals = [r for r in read_history(exp / "history.jsonl") if "val/loss" in r]
    assert [r["epoch"] for r in vals] == list(range(EPOCHS))
    assert (exp / "model.pth").is_file() and (exp / "training_curve.png").is_file()


def _copy_with_bad_features(toy: Path, dst: Path, bad: dict[str, np.ndarray | bytes]) -> Path:
    """Copy the toy train dir, pointing the given utterances at NaN matrices or garbage bytes."""
    import kaldiio

    shutil.copytree(toy / "train", dst)
    scp = read_kaldi_map(dst / "feats.scp")
    for k, (utt, content) in enumerate(bad.items()):
        if isinstance(content, bytes):
            (dst / f"bad{k}.ark").write_bytes(content)
            scp[utt] = f"{dst / f'bad{k}.ark'}:3"
        else:
            with kaldiio.WriteHelper(f"ark,scp:{dst / f'bad{k}.ark'},{dst / f'bad{k}.scp'}") as w:
                w(utt, content)
            scp[utt] = (dst / f"bad{k}.scp").read_text().split(" ", 1)[1].strip()
    (dst / "feats.scp").write_text("".join(f"{u} {s}\n" for u, s in sorted(scp.items())))
    return dst


def test_nan_loss_is_skipped_and_reported(toy, cfg, tmp_path) -> None:
    from cstoolkit.asr.train import train_asr

    utt = sorted(read_kaldi_map(toy / "train" / "feats.scp"))[5]
    frames = int(read_kaldi_map(toy / "train" / "utt2num_frames")[utt])
    train = _copy_with_bad_features(toy, tmp_path / "train", {utt: np.full((frames, 80), np.nan, np.float32)})
    c = OmegaConf.merge(cfg, {"asr": {"train": {"max_epochs": 1}}})
    result = train_asr(
        train, toy / "dev", toy / "units", tmp_path / "exp", c, stats_file=toy / "train" / "feats_stats.npz"
    )
    assert result.nonfinite_steps == 1  # the one batch holding the NaN utterance, and nothing else
    assert json.loads((tmp_path / "exp" / "train_summary.json").read_text())["nonfinite_steps"] == 1


def test_diverging_training_stops_with_a_typed_error(toy, cfg, tmp_path) -> None:
    from cstoolkit.asr.train import train_asr

    scp = read_kaldi_map(toy / "train" / "utt2num_frames")
    bad = {u: np.full((int(n), 80), np.inf, np.float32) for u, n in scp.items()}
    train = _copy_with_bad_features(toy, tmp_path / "train", bad)
    c = OmegaConf.merge(cfg, {"asr": {"train": {"max_epochs": 1, "max_nonfinite_steps": 2}}})
    with pytest.raises(NonFiniteLossError, match="3 consecutive non-finite"):
        train_asr(train, toy / "dev", toy / "units", tmp_path / "exp", c, stats_file=toy / "train" / "feats_stats.npz")


def test_corrupt_feature_file_is_skipped_and_reported(toy, cfg, tmp_path) -> None:
    from cstoolkit.asr.train import train_asr

    utt = sorted(read_kaldi_map(toy / "train" / "feats.scp"))[2]
    train = _copy_with_bad_features(toy, tmp_path / "train", {utt: b"\x00\x01truncated"})
    c = OmegaConf.merge(cfg, {"asr": {"train": {"max_epochs": 1}}})
    result = train_asr(
        train, toy / "dev", toy / "units", tmp_path / "exp", c, stats_file=toy / "train" / "feats_stats.npz"
    )
    assert list(result.corrupt_utts) == [utt]
    assert utt in json.loads((tmp_path / "exp" / "train_summary.json").read_text())["corrupt_utts"]
    assert (tmp_path / "exp" / "model.pth").is_file()


def test_resume_into_a_different_model_is_a_config_error(toy, cfg, tmp_path) -> None:
    from cstoolkit.asr.train import train_asr
    from cstoolkit.errors import ConfigError

    c = OmegaConf.merge(cfg, {"asr": {"train": {"max_epochs": 1}}})
    train_asr(toy / "train", toy / "dev", toy / "units", tmp_path / "exp", c)
    bigger = OmegaConf.merge(c, {"asr": {"encoder": {"output_size": 48}}})
    with pytest.raises(ConfigError, match="different model"):
        train_asr(toy / "train", toy / "dev", toy / "units", tmp_path / "exp", bigger)
