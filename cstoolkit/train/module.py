"""A LightningModule base for every cstoolkit model: optimizer/scheduler from config, non-finite loss guard."""

from __future__ import annotations

import logging
import math

import lightning as L
import torch
from omegaconf import DictConfig

from cstoolkit.errors import CstkError
from cstoolkit.train.schedule import build_scheduler

log = logging.getLogger(__name__)


class NonFiniteLossError(CstkError):
    """Training produced too many consecutive NaN/inf losses or gradients."""


class CstkLightningModule(L.LightningModule):
    """Subclasses implement :meth:`compute_loss` (and may extend validation); the base class handles the rest.

    A batch whose loss or gradient is NaN/inf is not trained on: the step is skipped, the utterances are logged
    and counted (``train/nonfinite_steps``); more than ``max_nonfinite_steps`` in a row raises NonFiniteLossError.
    """

    def __init__(self, optim_cfg: DictConfig, scheduler_cfg: DictConfig | None, max_nonfinite_steps: int) -> None:
        super().__init__()
        self.optim_cfg = optim_cfg
        self.scheduler_cfg = scheduler_cfg
        self.max_nonfinite_steps = max_nonfinite_steps
        self.nonfinite_in_row = 0
        self.nonfinite_total = 0
        self.trained_batches = 0  # batches with a finite loss, over all epochs (kept in checkpoints)
        self.corrupt_utts: dict[str, str] = {}

    def compute_loss(self, batch: dict) -> tuple[torch.Tensor, dict[str, float], int]:
        """Return ``(loss, stats, batch_size)`` for a batch."""
        raise NotImplementedError

    def _note_corrupt(self, batch: dict) -> None:
        for utt, reason in batch.get("corrupt", {}).items():
            if utt not in self.corrupt_utts:
                self.corrupt_utts[utt] = reason

    def _nonfinite(self, what: str, batch: dict) -> None:
        self.nonfinite_in_row += 1
        self.nonfinite_total += 1
        utts = batch.get("utts", [])
        log.warning(
            "non-finite %s at epoch %d step %d (utterances %s%s): step skipped (%d in a row)",
            what, self.current_epoch, self.global_step, ", ".join(utts[:5]), " ..." if len(utts) > 5 else "",
            self.nonfinite_in_row,
        )  # fmt: skip
        if self.nonfinite_in_row > self.max_nonfinite_steps:
            raise NonFiniteLossError(
                f"training diverged: {self.nonfinite_in_row} consecutive non-finite {what}es at epoch "
                f"{self.current_epoch} step {self.global_step}; lower the learning rate or check the features"
            )

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor | None:
        self._note_corrupt(batch)
        if batch.get("speech") is None:
            return None
        saved = {name: buf.clone() for name, buf in self.named_buffers() if buf.is_floating_point()}
        loss, stats, batch_size = self.compute_loss(batch)
        if not torch.isfinite(loss):
            with torch.no_grad():  # the forward pass may have updated BatchNorm statistics with NaN/inf
                for name, buf in self.named_buffers():
                    if name in saved:
                        buf.copy_(saved[name])
            self._nonfinite("loss", batch)
            self.log("train/nonfinite_steps", float(self.nonfinite_total), batch_size=batch_size)
            return None
        self.nonfinite_in_row = 0
        self.trained_batches += 1
        self.log("train/loss", loss.detach(), prog_bar=True, batch_size=batch_size)
        for key, value in stats.items():
            if key != "loss" and value is not None and math.isfinite(float(value)):
                self.log(f"train/{key}", float(value), batch_size=batch_size)
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], prog_bar=True, batch_size=batch_size)
        self._last_batch = batch
        return loss

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Drop the update when a gradient is NaN/inf (the loss was finite but the backward pass overflowed)."""
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        if grads and not torch.isfinite(torch.stack([g.detach().abs().max() for g in grads])).all():
            self._nonfinite("gradient", getattr(self, "_last_batch", {}))
            for p in self.parameters():
                p.grad = None  # the optimizer skips parameters without gradients

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._note_corrupt(batch)
        if batch.get("speech") is None:
            return
        loss, stats, batch_size = self.compute_loss(batch)
        # logged even when NaN/inf: checkpoint selection then ranks this epoch last instead of failing
        self.log("val/loss", loss.detach(), prog_bar=True, batch_size=batch_size, sync_dist=True)
        if not torch.isfinite(loss):
            log.warning("non-finite validation loss at epoch %d (utterances %s)", self.current_epoch,
                        ", ".join(batch.get("utts", [])[:5]))  # fmt: skip
        else:
            for key, value in stats.items():
                if key != "loss" and value is not None and math.isfinite(float(value)):
                    self.log(f"val/{key}", float(value), batch_size=batch_size, sync_dist=True)

    def on_train_epoch_end(self) -> None:
        self.log("train/corrupt_utts", float(len(self.corrupt_utts)))

    def configure_optimizers(self):
        from hydra.utils import instantiate

        optimizer = instantiate(self.optim_cfg, _convert_="all")(params=self.parameters())  # plain lists: safe to load
        scheduler = build_scheduler(optimizer, self.scheduler_cfg)
        if scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": scheduler}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["cstk_reliability"] = {
            "nonfinite_total": self.nonfinite_total,
            "corrupt_utts": self.corrupt_utts,
            "trained_batches": self.trained_batches,
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("cstk_reliability", {})
        self.nonfinite_total = int(state.get("nonfinite_total", 0))
        self.trained_batches = int(state.get("trained_batches", 1))  # older checkpoints: trained, or not saved
        self.corrupt_utts = dict(state.get("corrupt_utts", {}))
