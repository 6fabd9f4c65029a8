"""The LightningModule base of every cstoolkit model: the contract the trainer drives without knowing the task.

A model's module subclasses :class:`CstkLightningModule`, builds its network(s) from its config group and
implements :meth:`~CstkLightningModule.compute_losses`: a :class:`~cstoolkit.data.loader.Batch` in, its named losses
and stats out. The base class sums the losses, logs them, skips a step whose loss or gradient is NaN/inf, and builds
optimizers and schedulers from the config: one optimizer (``optim._target_``) trains with Lightning's automatic
optimization; named optimizers (``optim.<name>._target_`` + ``optim.<name>.params``, the attribute holding the
parameters it updates) train with manual optimization, one update per optimizer per batch in config order (a GAN
vocoder: discriminator, then generator).
"""

from __future__ import annotations

import logging
import math
from operator import attrgetter

import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.data.loader import Batch
from cstoolkit.errors import ConfigError, CstkError
from cstoolkit.train.output import StepOutput
from cstoolkit.train.schedule import build_scheduler

log = logging.getLogger(__name__)


class NonFiniteLossError(CstkError):
    """Training produced too many consecutive NaN/inf losses or gradients."""


def optimizer_names(optim_cfg: DictConfig) -> list[str | None]:
    """``[None]`` for one optimizer (``_target_``), else the names of the optimizers in config order."""
    return [None] if "_target_" in optim_cfg else list(optim_cfg.keys())


class CstkLightningModule(L.LightningModule):
    """Subclasses implement :meth:`compute_losses` (and may extend validation); the base class handles the rest.

    Reads ``optim``, ``scheduler`` and ``train`` (``max_nonfinite_steps``; for manual optimization also
    ``grad_clip`` and ``accum_grad``, which Lightning applies itself otherwise) of the model config ``model_cfg``.
    A batch whose loss or gradient is NaN/inf is not trained on: the step is skipped, the utterances are logged
    and counted (``train/nonfinite_steps``; under DDP per rank, and that rank adds a zero gradient to the step: see
    :meth:`_no_step`); more than ``max_nonfinite_steps`` in a row raises NonFiniteLossError.
    """

    def __init__(self, model_cfg: DictConfig) -> None:
        super().__init__()
        self.optim_cfg = model_cfg.optim
        self.scheduler_cfg = model_cfg.get("scheduler")
        self.max_nonfinite_steps = int(model_cfg.train.max_nonfinite_steps)
        self.grad_clip = float(model_cfg.train.grad_clip or 0.0)
        self.accum_grad = int(model_cfg.train.accum_grad)
        self.optimizer_names = optimizer_names(self.optim_cfg)
        self.automatic_optimization = self.optimizer_names == [None]
        self.nonfinite_in_row = 0
        self.nonfinite_total = 0
        self.trained_batches = 0  # batches with a finite loss, over all epochs (kept in checkpoints)
        self.corrupt_utts: dict[str, str] = {}

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        """Named losses and stats for ``batch``.

        ``optimizer`` names the optimizer about to update (manual optimization); it is None with one optimizer and
        during validation, where a model with several optimizers returns every loss.
        """
        raise NotImplementedError

    # -- the non-finite guard ------------------------------------------------------------------------------------
    def _note_corrupt(self, batch: Batch) -> None:
        for utt, reason in batch.corrupt.items():
            if utt not in self.corrupt_utts:
                self.corrupt_utts[utt] = reason

    def _nonfinite(self, what: str, batch: Batch | dict) -> None:
        self.nonfinite_in_row += 1
        self.nonfinite_total += 1
        utts = batch.get("utts", [])
        log.warning(
            "non-finite %s at epoch %d step %d (utterances %s%s): step skipped (%d in a row)",
            what,
            self.current_epoch,
            self.global_step,
            ", ".join(utts[:5]),
            " ..." if len(utts) > 5 else "",
            self.nonfinite_in_row,
        )
        if self.nonfinite_in_row > self.max_nonfinite_steps:
            raise NonFiniteLossError(
                f"training diverged: {self.nonfinite_in_row} consecutive non-finite {what}es at epoch "
                f"{self.current_epoch} step {self.global_step}; lower the learning rate or check the features"
            )

    def _guarded_loss(self, batch: Batch, optimizer: str | None) -> torch.Tensor | None:
        """The summed loss of ``compute_losses``, logged; None (buffers restored, step counted) when NaN/inf."""
        saved = {name: buf.clone() for name, buf in self.named_buffers() if buf.is_floating_point()}
        out = self.compute_losses(batch, optimizer)
        loss = out.loss
        if not torch.isfinite(loss):
            with torch.no_grad():  # the forward pass may have updated BatchNorm statistics with NaN/inf
                for name, buf in self.named_buffers():
                    if name in saved:
                        buf.copy_(saved[name])
            self._nonfinite("loss", batch)
            self.log("train/nonfinite_steps", float(self.nonfinite_total), batch_size=batch.size)
            return None
        self.nonfinite_in_row = 0
        self._log_losses("train", out, loss, batch.size, optimizer)
        return loss

    def _log_losses(self, split: str, out: StepOutput, loss: torch.Tensor, batch_size: int, optimizer=None) -> None:
        """``<split>/loss`` (``<split>/<optimizer>_loss`` in manual optimization, where ``train/loss`` is the sum over
        the optimizers), each named loss when there are several, and the finite stats."""
        sync = split == "val"
        total = "loss" if optimizer is None else f"{optimizer}_loss"
        self.log(f"{split}/{total}", loss.detach(), prog_bar=True, batch_size=batch_size, sync_dist=sync)
        if len(out.losses) > 1:
            for key, value in out.losses.items():
                self.log(f"{split}/{key}", value.detach(), batch_size=batch_size, sync_dist=sync)
        for key, value in out.stats.items():
            if key != "loss" and value is not None and math.isfinite(float(value)):
                self.log(f"{split}/{key}", float(value), batch_size=batch_size, sync_dist=sync)

    # -- training and validation ---------------------------------------------------------------------------------
    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor | None:
        self._note_corrupt(batch)
        if not self.automatic_optimization:
            self._manual_step(batch, batch_idx)
            return None
        if batch.empty:
            return self._no_step()
        loss = self._guarded_loss(batch, None)
        if loss is None:
            return self._no_step()
        self.trained_batches += 1
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], prog_bar=True, batch_size=batch.size)
        self._last_batch = batch
        return loss

    def _no_step(self) -> torch.Tensor | None:
        """What a skipped batch (empty, or a NaN/inf loss) returns: None in one process; under DDP a zero loss over
        every trainable parameter, so that this rank still joins the gradient all-reduce the other ranks wait in
        (Lightning skips the backward pass of a None, and they would wait forever). Its gradients are zeros: the
        update is the other ranks' average. With several optimizers (manual optimization) the parameters are those
        of the optimizer stepping now (``toggle_optimizer``)."""
        if self.trainer.world_size == 1:
            return None
        return torch.stack([p.sum() * 0.0 for p in self.parameters() if p.requires_grad]).sum()

    def _manual_step(self, batch: Batch, batch_idx: int) -> None:
        """One update per optimizer, in config order, each on its own losses (gradient accumulation and clipping
        as ``train.accum_grad`` and ``train.grad_clip`` say)."""
        optimizers = self.optimizers()
        optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
        schedulers = self.lr_schedulers()
        schedulers = schedulers if isinstance(schedulers, list) else [schedulers] * len(optimizers)
        step_now = (batch_idx + 1) % self.accum_grad == 0
        self._last_batch = batch
        trained = []
        for name, opt, sched in zip(self.optimizer_names, optimizers, schedulers):
            self.toggle_optimizer(opt)  # only this optimizer's parameters require gradients now
            loss = None if batch.empty else self._guarded_loss(batch, name)
            backward = loss if loss is not None else self._no_step()  # under DDP a skipped batch adds zeros
            if backward is not None:
                self.manual_backward(backward / self.accum_grad)
                if step_now:
                    if self.grad_clip:
                        self.clip_gradients(opt, gradient_clip_val=self.grad_clip, gradient_clip_algorithm="norm")
                    opt.step()  # runs on_before_optimizer_step: a NaN/inf gradient is dropped there
                    opt.zero_grad()
                    if sched is not None:
                        sched.step()
            if loss is not None:
                trained.append(loss.detach())
                self.log(f"train/lr_{name}", opt.param_groups[0]["lr"], batch_size=batch.size)
            self.untoggle_optimizer(opt)
        if trained:
            self.trained_batches += 1
            self.log("train/loss", torch.stack(trained).sum(), prog_bar=True, batch_size=batch.size)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Drop the update when a gradient is NaN/inf (the loss was finite but the backward pass overflowed)."""
        params = [p for group in optimizer.param_groups for p in group["params"]]
        grads = [p.grad for p in params if p.grad is not None]
        if grads and not torch.isfinite(torch.stack([g.detach().abs().max() for g in grads])).all():
            self._nonfinite("gradient", getattr(self, "_last_batch", {}))
            for p in params:
                p.grad = None  # the optimizer skips parameters without gradients

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._note_corrupt(batch)
        if batch.empty:
            return
        out = self.compute_losses(batch, None)
        loss = out.loss
        # logged even when NaN/inf: checkpoint selection then ranks this epoch last instead of failing
        if not torch.isfinite(loss):
            self.log("val/loss", loss.detach(), prog_bar=True, batch_size=batch.size, sync_dist=True)
            log.warning(
                "non-finite validation loss at epoch %d (utterances %s)", self.current_epoch, ", ".join(batch.utts[:5])
            )
        else:
            self._log_losses("val", out, loss, batch.size)

    def on_train_epoch_end(self) -> None:
        self.log("train/corrupt_utts", float(len(self.corrupt_utts)))

    # -- optimizers ----------------------------------------------------------------------------------------------
    def configure_optimizers(self):
        if self.automatic_optimization:
            optimizer = _build_optimizer(self.optim_cfg, self.parameters())
            scheduler = build_scheduler(optimizer, self.scheduler_cfg)
            return optimizer if scheduler is None else {"optimizer": optimizer, "lr_scheduler": scheduler}
        configured = []
        for name in self.optimizer_names:
            node = self.optim_cfg[name]
            try:
                params = attrgetter(node.params)(self).parameters()
            except AttributeError:
                raise ConfigError(
                    f"bad configuration value optim.{name}.params={node.params!r}: the module has no such part"
                ) from None
            spec = OmegaConf.create({k: v for k, v in node.items() if k != "params"})
            optimizer = _build_optimizer(spec, params)
            scheduler = build_scheduler(optimizer, self.scheduler_cfg)
            configured.append({"optimizer": optimizer, **({"lr_scheduler": scheduler} if scheduler else {})})
        return configured

    # -- what checkpoints keep besides weights -------------------------------------------------------------------
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


def _build_optimizer(spec: DictConfig, params) -> torch.optim.Optimizer:
    """The optimizer of a ``_target_`` node (``_partial_: true``) over ``params``."""
    from hydra.utils import instantiate

    return instantiate(spec, _convert_="all")(params=params)  # plain lists: safe to load


def build_module(model_cfg: DictConfig, prefix: str, seed: int | None = None, **data) -> CstkLightningModule:
    """The LightningModule named by ``<model_cfg>.module._target_``, built from ``model_cfg`` and run-time ``data``
    (token lists, statistics files: what the config cannot hold). ``prefix`` is the config path, for errors.
    ``seed`` seeds torch first, so the initial weights are the same in every run with the same seed."""
    from hydra.utils import get_class

    target = OmegaConf.select(model_cfg, "module._target_")
    try:
        cls = get_class(str(target))
    except Exception:
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, CstkLightningModule)):
        raise ConfigError(
            f"bad configuration value {prefix}.module._target_={target!r}: expected the import path of "
            "a cstoolkit.train.CstkLightningModule subclass"
        )
    if seed is not None:
        torch.manual_seed(seed)
    return cls(model_cfg, **data)
