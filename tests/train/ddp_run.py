"""A ``cstk train-*`` command run under DDP with probes (run as a script by test_ddp.py, once per rank).

``python ddp_run.py RECORD_DIR KILL_AT train-<model> ARGS...`` runs ``cstk train-<model> ARGS...`` with two callbacks
added to the trainer's ``fit``: one appends the utterances of every batch a rank reads to
``RECORD_DIR/rank<R>.jsonl``, the other (``KILL_AT`` >= 0) SIGKILLs the process when that epoch starts. A process
other than rank 0 also records, through a Python audit hook, every file it opens for writing and every file or folder
it creates, renames or removes (``RECORD_DIR/writes<R>.jsonl``): the test checks that none of them is in the model
directory. The rank comes from the launcher's environment: ``RANK`` (torchrun) or ``LOCAL_RANK`` (the processes
Lightning starts itself, which run this script again with the same arguments).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
from pathlib import Path

import lightning as L
from toy_model import KillAt  # this script's folder is on sys.path (it is run as a script)

STAGES = {
    "train-asr": "cstoolkit.asr.train",
    "train-tokenizer": "cstoolkit.tokenizer.train",
    "train-flow": "cstoolkit.tts.flow.train",
    "train-t2s": "cstoolkit.tts.t2s.train",
}
#: audit events that change the file system, and the position of the path they change in their arguments
CHANGES = {"os.mkdir": 0, "os.remove": 0, "os.rmdir": 0, "os.rename": 1, "os.replace": 1, "shutil.rmtree": 0}


class RecordBatches(L.Callback):
    """Append ``{"split", "epoch", "world", "utts"}`` of every training and validation batch to ``rank<R>.jsonl``."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def _write(self, trainer: L.Trainer, split: str, batch) -> None:
        row = {"split": split, "epoch": trainer.current_epoch, "world": trainer.world_size, "utts": list(batch.utts)}
        with (self.out_dir / f"rank{trainer.global_rank}.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._write(trainer, "train", batch)

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0) -> None:
        if not trainer.sanity_checking:
            self._write(trainer, "val", batch)


def audit_writes(log_path: Path) -> None:
    """Record every write-open, creation, rename and removal of this process in ``log_path`` (JSON lines)."""
    busy = False

    def hook(event: str, args: tuple) -> None:
        nonlocal busy
        if busy:
            return
        if event == "open":
            path, mode, flags = args
            if mode is not None:
                writing = any(c in str(mode) for c in "wax+")
            else:
                writing = bool(int(flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if not writing:
                return
        elif event in CHANGES:
            path = args[CHANGES[event]]
        else:
            return
        if path is None or isinstance(path, int):
            return
        busy = True
        try:
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"event": event, "path": os.path.abspath(os.fsdecode(path))}) + "\n")
        finally:
            busy = False

    sys.addaudithook(hook)


if __name__ == "__main__":
    record_dir, kill_at, command, *args = sys.argv[1:]
    records = Path(record_dir)
    rank = int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))
    if rank:
        audit_writes(records / f"writes{rank}.jsonl")
    stage = importlib.import_module(STAGES[command])
    probes: list[L.Callback] = [RecordBatches(records)]
    if int(kill_at) >= 0:
        probes.append(KillAt(int(kill_at)))
    stage.fit = functools.partial(stage.fit, extra_callbacks=probes)
    from cstoolkit.cli.cstk import main

    sys.exit(main([command, *args]))
