"""DDP on CPU: each of the four trainings (CS-ASR, tokenizer, flow, text -> token) runs through the shared ``fit()``
in two processes (Lightning's ``ddp`` strategy, gloo), is killed when its second epoch starts, is run again and
resumes; each rank reads a disjoint share of every epoch's batches; only rank 0 writes into the model directory
(checkpoints, logs, history, the average); the exported model loads and decodes or synthesises.

How the processes start: in-process DDP under pytest would have Lightning start the second process by running
``sys.argv`` again, which is pytest itself, so every run is a subprocess (``ddp_run.py``: the ``cstk train-*``
command with probes). Two launchers, the two the READMEs name: Lightning's own (``cstk train-* ...
trainer.strategy=ddp trainer.devices=2``; the process is rank 0 and starts rank 1 by running its command line
again: what ``run.sh --ngpu N`` does) for the CS-ASR and the text -> token model, and ``torchrun --nproc_per_node=2``
(``python -m torch.distributed.run``: both ranks started by the launcher, which also ends the other rank when one
dies) for the tokenizer and the flow model. ``ddp_spawn`` is not used: it pickles the module and loaders into fresh
processes and hands back to the calling process only rank 0's weights and best checkpoint path, not the best-k list
that the trainer averages after ``trainer.fit``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ddp_cases import CASES, DDP

SCRIPT = Path(__file__).with_name("ddp_run.py")
ROOT = SCRIPT.parents[2]
LAUNCHER = {"asr": "lightning", "tokenizer": "torchrun", "flow": "torchrun", "t2s": "lightning"}
EPOCHS = 2


def launch(name: str, case, exp: Path, records: Path, kill_at: int) -> subprocess.CompletedProcess:
    """Run the case's training under DDP (2 CPU processes) into ``exp``, probes writing into ``records``."""
    records.mkdir(parents=True)
    script = [str(SCRIPT), str(records), str(kill_at), case.command, *case.args, "--exp-dir", str(exp), *DDP]
    if LAUNCHER[name] == "torchrun":
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *script]
    else:
        cmd = [sys.executable, *script]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
    }
    log = records / "output.log"  # a file, not a pipe: a rank left behind must not keep the test waiting
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=300)
        finally:  # whatever is left of the job (a rank of a killed run) goes with it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, log.read_text(), "")


def shares(records: Path) -> dict[tuple[str, int], dict[int, list[list[str]]]]:
    """``{(split, epoch): {rank: [batch utterances, ...]}}`` of a run's probe records."""
    out: dict[tuple[str, int], dict[int, list[list[str]]]] = defaultdict(lambda: defaultdict(list))
    for rank in (0, 1):
        path = records / f"rank{rank}.jsonl"
        assert path.is_file(), f"rank {rank} read no batch"
        for row in map(json.loads, path.read_text().splitlines()):
            assert row["world"] == 2
            out[row["split"], row["epoch"]][rank].append(row["utts"])
    return out


def assert_disjoint_shares(by_rank: dict[int, list[list[str]]], utts: set[str]) -> None:
    """Both ranks read the same number of batches, no utterance twice, every utterance once."""
    assert set(by_rank) == {0, 1} and len(by_rank[0]) == len(by_rank[1]) >= 1
    read = [u for batches in by_rank.values() for b in batches for u in b]
    assert sorted(read) == sorted(utts), "the ranks' shares overlap or miss utterances"


@pytest.mark.parametrize("name", sorted(CASES))
def test_ddp_two_processes_shard_resume_and_export(name: str, tmp_path: Path) -> None:
    case = CASES[name](tmp_path / "data")
    exp = tmp_path / "exp"

    killed = launch(name, case, exp, tmp_path / "run1", kill_at=1)
    assert killed.returncode != 0, killed.stdout[-3000:]
    assert (exp / "checkpoints" / "epoch000.ckpt").is_file(), killed.stdout[-3000:]
    assert not (exp / "model.pth").exists()  # the killed run did not look finished

    done = launch(name, case, exp, tmp_path / "run2", kill_at=-1)
    assert done.returncode == 0, done.stdout[-3000:]
    summary = json.loads((exp / "train_summary.json").read_text())
    assert summary["resumed_from"] and summary["epochs"] == EPOCHS and (exp / "model.pth").is_file()

    # each epoch trained once, on two disjoint shares that together hold the whole set
    first, second = shares(tmp_path / "run1"), shares(tmp_path / "run2")
    assert {e for s, e in first if s == "train"} == {0} and {e for s, e in second if s == "train"} == {1}
    for run in (first, second):
        for (split, _epoch), by_rank in run.items():
            assert_disjoint_shares(by_rank, case.train_utts if split == "train" else case.dev_utts)
    for run in (killed, done):  # a NaN batch is skipped by the rank that reads it, and the other does not hang
        assert run.stdout.count("non-finite loss at epoch") == case.nonfinite_per_epoch
    steps_per_epoch = len(second["train", 1][0])
    assert summary["global_step"] == EPOCHS * steps_per_epoch  # a rank's steps: its share of the batches

    # rank 0 alone writes into the model directory; rank 1's probe saw its own writes (the probe works)
    for run in ("run1", "run2"):
        writes = [json.loads(line) for line in (tmp_path / run / "writes1.jsonl").read_text().splitlines()]
        assert any(w["path"].endswith("rank1.jsonl") for w in writes)
        inside = [w for w in writes if Path(w["path"]).resolve().is_relative_to(exp.resolve())]
        assert inside == [], f"rank 1 wrote into the model directory: {inside[:5]}"
    assert sorted(p.name for p in (exp / "checkpoints").iterdir()) == ["epoch000.ckpt", "epoch001.ckpt", "last.ckpt"]
    history = [json.loads(line) for line in (exp / "history.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in history if "val/loss" in row] == [0, 1]  # one row an epoch: one writer
    assert done.stdout.count("averaged") == 1  # rank 0 alone averages (and says so)
    assert "[rank 1]" in done.stdout  # rank 1's own lines are marked

    case.check(exp)
