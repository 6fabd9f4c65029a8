"""``cstk train-flow`` killed at the start of an epoch (run as a script by test_tts_train.py).

``python flow_train_run.py KILL_AT_EPOCH TRAIN_DIR TOKENIZER_DIR EXP_DIR [OVERRIDES...]`` trains the flow model with
:func:`cstoolkit.tts.flow.train.train_flow` exactly as the CLI does, and SIGKILLs itself when epoch ``KILL_AT_EPOCH``
starts (the checkpoints of the epochs before it are on disk). ``train_flow`` has no callback argument, so the
trainer's ``fit`` it calls is wrapped to add the killing callback.
"""

from __future__ import annotations

import functools
import os
import signal
import sys

import lightning as L

import cstoolkit.tts.flow.train
from cstoolkit.config import load_config


class KillAt(L.Callback):
    """SIGKILL this process when epoch ``epoch`` starts."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if trainer.current_epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    kill_at, train_dir, tok_dir, exp_dir, *overrides = sys.argv[1:]
    cstoolkit.tts.flow.train.fit = functools.partial(
        cstoolkit.tts.flow.train.fit, extra_callbacks=[KillAt(int(kill_at))]
    )
    cstoolkit.tts.flow.train.train_flow(train_dir, train_dir, tok_dir, exp_dir, load_config(overrides))
