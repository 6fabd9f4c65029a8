"""One Lightning training driver for every cstoolkit model.

``fit()`` gives each model the same habits: seeds, thread count, a checkpoint at every epoch end (plus every N steps
if asked) under ``<exp>/checkpoints``, automatic resume from ``last.ckpt`` when re-run after a crash or kill,
best-N checkpoint averaging (or the best one) into ``<exp>/model.pth``, TensorBoard and CSV logs, a JSON-lines
history and a training-curve PNG. It knows nothing of the task: the module (a
:class:`~cstoolkit.train.module.CstkLightningModule`) computes the losses and the model's ``train`` config says how
to train. The hardware part comes from the ``trainer`` config group (cpu, gpu, ddp); DDP runs start one
process per device with ``torchrun`` or SLURM ``srun`` and need no code change (see conf/trainer/ddp.yaml).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from omegaconf import DictConfig

from cstoolkit.core.atomic import atomic_save, atomic_write_json
from cstoolkit.core.modeldir import WEIGHTS_FILE, load_state, shape_differences
from cstoolkit.core.runtime import set_torch_threads
from cstoolkit.errors import ConfigError, CstkError
from cstoolkit.train.average import average_checkpoints
from cstoolkit.train.plot import plot_history
from cstoolkit.train.progress import progress_callback

log = logging.getLogger(__name__)

CKPT_DIR, LAST = "checkpoints", "last.ckpt"
HISTORY, CURVE, SUMMARY = "history.jsonl", "training_curve.png", "train_summary.json"


class NoTrainingStepError(CstkError):
    """Training ended without a single optimizer step (every batch empty or skipped): no model to average."""


@dataclass
class FitResult:
    """What a training run left behind."""

    exp_dir: Path
    averaged_model: Path
    averaged_from: list[str]
    resumed_from: str | None
    wall_seconds: float
    epochs: int
    global_step: int
    best_val_loss: float | None
    nonfinite_steps: int = 0
    corrupt_utts: dict[str, str] = field(default_factory=dict)


class HistoryCallback(Callback):
    """Append train metrics every ``every`` steps and validation metrics each epoch to ``history.jsonl``.

    Kept by us (not only the CSV logger) so that a resumed run continues one history; on plotting, the last entry
    for a step wins, so steps re-run after a kill replace the lost ones.
    """

    def __init__(self, path: Path, every: int) -> None:
        self.path = path
        self.every = max(1, every)

    def _write(self, trainer: L.Trainer, prefix: str) -> None:
        if trainer.global_rank != 0 or trainer.sanity_checking:
            return
        row = {"step": trainer.global_step, "epoch": trainer.current_epoch, "time": time.time()}
        row.update({k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(prefix)})
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step % self.every == 0:
            self._write(trainer, "train/")

    def on_validation_end(self, trainer, pl_module) -> None:
        self._write(trainer, "val/")  # after epoch-level metrics are reduced


def build_trainer(
    exp_dir: Path,
    train_cfg: DictConfig,
    trainer_cfg: DictConfig,
    extra_callbacks: list[Callback] | None = None,
    automatic_optimization: bool = True,
) -> tuple[L.Trainer, ModelCheckpoint]:
    """A Lightning Trainer with checkpointing, logging and progress bar for ``exp_dir``.

    Gradient clipping and accumulation are Lightning's with automatic optimization; a module that optimizes
    manually applies them itself (Lightning refuses them then).
    """
    ckpt_dir = exp_dir / CKPT_DIR
    best = ModelCheckpoint(
        dirpath=ckpt_dir,
        filename="epoch{epoch:03d}",
        monitor=train_cfg.get("monitor", "val/loss"),
        mode=train_cfg.get("monitor_mode", "min"),
        save_top_k=int(train_cfg.keep_nbest),
        save_last=True,
        every_n_epochs=1,
        auto_insert_metric_name=False,
    )
    callbacks: list[Callback] = [best, HistoryCallback(exp_dir / HISTORY, int(trainer_cfg.log_every_n_steps))]
    if int(train_cfg.get("save_every_n_steps", 0)) > 0:
        callbacks.append(
            ModelCheckpoint(
                dirpath=ckpt_dir,
                save_top_k=0,
                save_last=True,
                every_n_train_steps=int(train_cfg.save_every_n_steps),
            )
        )
    if trainer_cfg.enable_progress_bar:
        callbacks.append(progress_callback(int(trainer_cfg.get("progress_refresh_rate", 10))))
    callbacks.extend(extra_callbacks or [])
    _log_once()
    loggers = [
        TensorBoardLogger(save_dir=str(exp_dir / "logs"), name="tensorboard"),
        CSVLogger(save_dir=str(exp_dir / "logs"), name="csv"),
    ]
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    try:
        trainer = _make_trainer(exp_dir, train_cfg, trainer_cfg, callbacks, loggers, automatic_optimization)
    except (MisconfigurationException, ValueError, TypeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"bad trainer configuration: {first}") from None
    return trainer, best


def _make_trainer(
    exp_dir: Path, train_cfg: DictConfig, trainer_cfg: DictConfig, callbacks, loggers, automatic: bool
) -> L.Trainer:
    clip = float(train_cfg.grad_clip) if train_cfg.grad_clip and automatic else None
    return L.Trainer(
        default_root_dir=str(exp_dir),
        accelerator=trainer_cfg.accelerator,
        devices=trainer_cfg.devices,
        num_nodes=int(trainer_cfg.num_nodes),
        strategy=trainer_cfg.strategy,
        precision=trainer_cfg.precision,
        max_epochs=int(train_cfg.max_epochs),
        gradient_clip_val=clip,
        accumulate_grad_batches=int(train_cfg.accum_grad) if automatic else 1,
        val_check_interval=train_cfg.get("val_check_interval", 1.0),
        log_every_n_steps=int(trainer_cfg.log_every_n_steps),
        enable_progress_bar=bool(trainer_cfg.enable_progress_bar),
        deterministic=bool(trainer_cfg.deterministic),
        use_distributed_sampler=False,  # our bucket sampler shards batches per rank itself
        num_sanity_val_steps=0,
        callbacks=callbacks,
        logger=loggers,
        enable_model_summary=True,
    )


def _log_once() -> None:
    """Lightning gives its loggers their own handler when it is imported before logging is set up; with a root
    handler as well every line would print twice, so let the root handler alone print them."""
    if logging.getLogger().handlers:
        for name in list(logging.root.manager.loggerDict):
            logger = logging.getLogger(name)
            if name.startswith("lightning") and logger.handlers:
                logger.handlers.clear()
                logger.propagate = True


def find_resume_checkpoint(ckpt_dir: Path) -> str | None:
    """The readable checkpoint in ``ckpt_dir`` that is furthest into training, or None.

    Checkpoints rank by the ``global_step`` they store, then by modification time: a kill can land between writing
    ``epochNNN.ckpt`` and ``last.ckpt``, or in the middle of writing one of them (Lightning does not write through a
    rename), so neither the name ``last.ckpt`` nor the newest file can be trusted alone; and a copied experiment
    folder (``cp -r``) gives every file the copy's time. Unreadable files are skipped with a warning.
    """
    ranked: list[tuple[int, int, Path]] = []
    for path in Path(ckpt_dir).glob("*.ckpt"):
        step = _stored_global_step(path)
        if step is None:
            continue
        ranked.append((step, path.stat().st_mtime_ns, path))
    return str(max(ranked)[2]) if ranked else None


def _stored_global_step(path: Path) -> int | None:
    """The ``global_step`` a Lightning checkpoint stores (read through mmap), or None with a warning when the file
    is truncated or holds no training state."""
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
        if not isinstance(ckpt, dict) or not isinstance(ckpt.get("state_dict"), dict):
            raise ValueError("no state_dict in it")
        return int(ckpt.get("global_step", -1))
    except Exception as err:  # truncated by a kill, or not a checkpoint
        log.warning("checkpoint %s is unreadable (%s); trying the others", path, str(err).splitlines()[0][:200])
        return None


def check_compatible(module: L.LightningModule, ckpt_path: str) -> None:
    """ConfigError when a checkpoint holds another model (changed config, same ``--exp-dir``)."""
    saved = load_state(ckpt_path, key="state_dict")
    differ = shape_differences(saved, module.state_dict())
    if differ:
        raise ConfigError(
            f"{ckpt_path} holds a different model ({len(differ)} parameters differ, e.g. {differ[0]}): "
            "train into a new --exp-dir or remove its checkpoints/"
        )


def fit(
    module: L.LightningModule,
    train_loader: torch.utils.data.DataLoader,
    val_loader: torch.utils.data.DataLoader | None,
    exp_dir: str | Path,
    train_cfg: DictConfig,
    trainer_cfg: DictConfig,
    seed: int,
    extra_callbacks: list[Callback] | None = None,
    before_training: Callable[[], None] | None = None,
) -> FitResult:
    """Train ``module``; resume from the newest readable checkpoint in ``<exp_dir>/checkpoints`` if any.

    Under DDP (``trainer.strategy=ddp``, one process per device, started by Lightning or by ``torchrun``) every rank
    runs this function on its share of the batches (:class:`~cstoolkit.data.sampler.DurationBucketBatchSampler`);
    only rank 0 writes into ``exp_dir``, and the other ranks return their :class:`FitResult` without averaging.
    ``before_training`` (rank 0) writes what the model directory needs besides weights; it runs only once the
    checkpoint to resume from is known to hold the same model and the trainer is built, so a refused run changes
    nothing. Library output meant for a terminal (progress bars, tables) goes to stderr: stdout stays for results.
    After training, the ``keep_nbest`` best checkpoints (by ``val/loss``) are averaged into ``<exp_dir>/model.pth``
    (only the best one with ``train_cfg.average`` false); it holds the tensors of the module's state dict whose
    names start with ``train_cfg.export_prefix`` (``model.``: ``module.model``), without the prefix.
    ``history.jsonl`` is drawn into ``training_curve.png``.
    """
    exp_dir = Path(exp_dir)
    set_torch_threads(int(trainer_cfg.num_threads))
    # Adam's second moments of tiny gradients become denormal floats, which x86 CPUs process ~100x slower
    torch.set_flush_denormal(bool(trainer_cfg.get("flush_denormal", True)))
    L.seed_everything(seed, workers=True, verbose=False)
    last = exp_dir / CKPT_DIR / LAST
    resume = find_resume_checkpoint(exp_dir / CKPT_DIR)
    if resume:
        check_compatible(module, resume)
        log.info("resuming from %s", resume)
    automatic = bool(getattr(module, "automatic_optimization", True))
    trainer, best_cb = build_trainer(exp_dir, train_cfg, trainer_cfg, extra_callbacks, automatic)
    if trainer.global_rank == 0:  # under DDP only rank 0 writes: model directory, checkpoints, logs, average
        exp_dir.mkdir(parents=True, exist_ok=True)
        if before_training is not None:
            before_training()
    start = time.time()
    with contextlib.redirect_stdout(sys.stderr):
        trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=val_loader, ckpt_path=resume)
    wall = time.time() - start
    if trainer.global_rank == 0 and getattr(module, "trained_batches", 1) == 0:
        corrupt = getattr(module, "corrupt_utts", {})
        example = f", e.g. {min(corrupt)}: {corrupt[min(corrupt)]}" if corrupt else ""
        raise NoTrainingStepError(
            f"no training step was made: every training batch was skipped ({len(corrupt)} utterances with unreadable "
            f"features{example})"
        )

    result = FitResult(
        exp_dir=exp_dir,
        averaged_model=exp_dir / WEIGHTS_FILE,
        averaged_from=[],
        resumed_from=resume,
        wall_seconds=wall,
        epochs=trainer.current_epoch,
        global_step=trainer.global_step,
        best_val_loss=float(best_cb.best_model_score) if best_cb.best_model_score is not None else None,
        nonfinite_steps=getattr(module, "nonfinite_total", 0),
        corrupt_utts=dict(getattr(module, "corrupt_utts", {})),
    )
    if trainer.global_rank != 0:
        return result
    paths = [p for p, _ in sorted(best_cb.best_k_models.items(), key=lambda kv: float(kv[1])) if Path(p).is_file()]
    if not paths and last.is_file():
        paths = [str(last)]
    if not bool(train_cfg.average):
        paths = paths[:1]
    state = average_checkpoints(paths, prefix=str(train_cfg.export_prefix))
    atomic_save(exp_dir / WEIGHTS_FILE, lambda tmp: torch.save(state, tmp))
    result.averaged_from = [Path(p).name for p in paths]
    plot_history(exp_dir / HISTORY, exp_dir / CURVE)
    summary = {k: (str(v) if isinstance(v, Path) else v) for k, v in result.__dict__.items()}
    atomic_write_json(exp_dir / SUMMARY, summary)
    log.info(
        "trained %d epochs (%d steps) in %.0f s; averaged %d checkpoints into %s",
        result.epochs,
        result.global_step,
        wall,
        len(paths),
        result.averaged_model,
    )
    if result.corrupt_utts:
        log.warning("%d utterances had corrupt features and were skipped (see %s)", len(result.corrupt_utts), SUMMARY)
    return result
