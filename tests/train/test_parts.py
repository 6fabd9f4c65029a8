"""Checkpoint averaging, the warmup schedule, the history plot, atomic writes."""

from __future__ import annotations

import json

import pytest
import torch
from omegaconf import OmegaConf

from cstoolkit.data.kaldi_dir import read_kaldi_map, write_kaldi_map
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.train.average import average_checkpoints
from cstoolkit.train.plot import plot_history, read_history
from cstoolkit.train.schedule import build_scheduler, warmup_lr_factor


def test_average_is_the_elementwise_mean(tmp_path) -> None:
    paths = []
    for k in range(3):
        state = {"model.w": torch.full((2, 2), float(k)), "model.n": torch.tensor(k), "other.x": torch.zeros(1)}
        torch.save({"state_dict": state}, tmp_path / f"{k}.ckpt")
        paths.append(tmp_path / f"{k}.ckpt")
    avg = average_checkpoints(paths, prefix="model.")
    assert set(avg) == {"w", "n"}
    assert torch.allclose(avg["w"], torch.full((2, 2), 1.0)) and int(avg["n"]) == 0


def test_average_rejects_mismatched_checkpoints(tmp_path) -> None:
    torch.save({"a": torch.zeros(1)}, tmp_path / "a.pt")
    torch.save({"b": torch.zeros(1)}, tmp_path / "b.pt")
    with pytest.raises(InputFileError, match="different parameters"):
        average_checkpoints([tmp_path / "a.pt", tmp_path / "b.pt"])
    with pytest.raises(InputFileError):
        average_checkpoints([])


def test_warmup_peaks_at_warmup_steps() -> None:
    assert warmup_lr_factor(100, 100) == pytest.approx(1.0)
    assert warmup_lr_factor(50, 100) == pytest.approx(0.5)
    assert warmup_lr_factor(400, 100) == pytest.approx(0.5)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = build_scheduler(opt, OmegaConf.create({"name": "warmuplr", "warmup_steps": 4}))["scheduler"]
    lrs = []
    for _ in range(8):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs.index(max(lrs)) == 3
    with pytest.raises(ConfigError):
        build_scheduler(opt, OmegaConf.create({"name": "cosine-ish"}))


def test_history_last_entry_per_step_wins_and_plots(tmp_path) -> None:
    rows = [
        {"step": 10, "epoch": 0, "train/loss": 5.0},
        {"step": 20, "epoch": 0, "train/loss": 9.0},
        {"step": 20, "epoch": 1, "val/loss": 4.0, "val/mer_greedy": 0.5},
        {"step": 20, "epoch": 0, "train/loss": 4.5},
    ]
    hist = tmp_path / "history.jsonl"
    hist.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 3')  # last line cut by a kill
    kept = read_history(hist)
    assert [r.get("train/loss") for r in kept if "train/loss" in r] == [5.0, 4.5]
    assert plot_history(hist, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert not plot_history(tmp_path / "none.jsonl", tmp_path / "none.png")


def test_kaldi_map_round_trip_and_duplicate_key(tmp_path) -> None:
    write_kaldi_map(tmp_path / "t", [("b", "2 3"), ("a", "")])
    assert (tmp_path / "t").read_text() == "a\nb 2 3\n"
    assert read_kaldi_map(tmp_path / "t") == {"a": "", "b": "2 3"}
    (tmp_path / "d").write_text("a 1\na 2\n")
    with pytest.raises(InputFileError, match=r"d:2: key a appears twice"):
        read_kaldi_map(tmp_path / "d")


def test_resume_checkpoint_is_the_one_furthest_into_training_not_the_newest_file(tmp_path) -> None:
    """A copied experiment folder gives its files arbitrary times; a kill can truncate the last file written."""
    import os

    from cstoolkit.train.trainer import find_resume_checkpoint

    weights = {"w": torch.zeros(3)}
    for name, step, mtime in [("epoch000.ckpt", 10, 300), ("epoch001.ckpt", 20, 100), ("last.ckpt", 20, 200)]:
        torch.save({"state_dict": weights, "global_step": step, "epoch": step // 10 - 1}, tmp_path / name)
        os.utime(tmp_path / name, ns=(mtime * 10**9, mtime * 10**9))
    # equal steps: the later file wins
    assert find_resume_checkpoint(tmp_path) == str(tmp_path / "last.ckpt")
    torch.save({"state_dict": weights, "global_step": 30}, tmp_path / "epoch002.ckpt")
    data = (tmp_path / "epoch002.ckpt").read_bytes()
    (tmp_path / "epoch002.ckpt").write_bytes(data[: len(data) // 2])  # killed while writing: skipped
    assert find_resume_checkpoint(tmp_path) == str(tmp_path / "last.ckpt")
    (tmp_path / "last.ckpt").unlink()
    assert find_resume_checkpoint(tmp_path) == str(tmp_path / "epoch001.ckpt")  # older time, more steps
    assert find_resume_checkpoint(tmp_path / "empty") is None
