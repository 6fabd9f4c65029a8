"""Training progress as plain log lines, for runs whose stderr is a file (a recipe log, a cluster job).

Lightning's own bar redraws itself with carriage returns, so a log file gets one unreadable kilobyte-long "line" per
epoch. :class:`LineProgressBar` takes the progress-bar slot instead and prints, on one line each, the position in the
epoch every ``interval`` seconds (batches, rate, ETA, running loss) and a summary at each epoch end (train and
validation metrics, epoch time). :func:`progress_callback` picks it or tqdm's bar by whether stderr is a terminal.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ProgressBar, TQDMProgressBar

from cstoolkit.progress import line_interval, on_terminal


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, round(seconds)) if math.isfinite(seconds) else 0
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def _fmt_metrics(metrics: dict[str, Any], prefix: str = "") -> str:
    parts = []
    for key, value in sorted(metrics.items()):
        if not key.startswith(prefix) or key == "v_num":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            parts.append(f"{key}={number:.4g}")
    return " ".join(parts)


class LineProgressBar(ProgressBar):
    """Lightning progress "bar" that writes whole lines to stderr (rank 0 only)."""

    def __init__(self, interval: float | None = None) -> None:
        super().__init__()
        self.interval = line_interval() if interval is None else interval
        self._enabled = True
        self._epoch_start = 0.0
        self._last_line = 0.0

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    @property
    def is_enabled(self) -> bool:
        return self._enabled and self.trainer.is_global_zero

    def _print(self, text: str) -> None:
        if self.is_enabled:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def _epoch_label(self, trainer: L.Trainer) -> str:
        total = trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else "?"
        return f"epoch {trainer.current_epoch + 1}/{total}"

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = self._last_line = time.monotonic()

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs, batch, batch_idx) -> None:
        now = time.monotonic()
        if now - self._last_line < self.interval:
            return
        self._last_line = now
        done, total = batch_idx + 1, self.total_train_batches
        elapsed = now - self._epoch_start
        rate = done / elapsed if elapsed > 0 else 0.0
        if isinstance(total, int) and total > 0 and math.isfinite(total):
            eta = (total - done) / rate if rate > 0 else float("nan")
            where = f"{done}/{total} batches ({100 * done / total:.0f}%), ETA {_fmt_duration(eta) if rate else '?'}"
        else:
            where = f"{done} batches"
        loss = _fmt_metrics(self.get_metrics(trainer, pl_module), "train/")
        self._print(f"{self._epoch_label(trainer)}: {where}, {rate:.2f} batch/s, {_fmt_duration(elapsed)} {loss}")

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        elapsed = time.monotonic() - self._epoch_start
        metrics = _fmt_metrics(dict(trainer.callback_metrics))
        self._print(f"{self._epoch_label(trainer)} done in {_fmt_duration(elapsed)}: {metrics}".rstrip(": "))


def progress_callback(refresh_rate: int) -> ProgressBar:
    """tqdm's bar on a terminal (``refresh_rate`` batches between redraws), line progress otherwise."""
    return TQDMProgressBar(refresh_rate=refresh_rate) if on_terminal() else LineProgressBar()
