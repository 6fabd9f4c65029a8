"""Learning-rate schedules built from the ``<model>.scheduler`` config (a LambdaLR per optimizer step)."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from cstoolkit.train.checks import check_scheduler_config


def warmup_lr_factor(step: int, warmup_steps: int) -> float:
    """ESPnet's WarmupLR factor: linear rise to 1 at ``warmup_steps``, then ``sqrt(warmup / step)`` decay."""
    step = max(step, 1)
    return warmup_steps**0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: DictConfig | None) -> dict | None:
    """Lightning ``lr_scheduler`` dict stepping every optimizer step, or None for a constant rate.

    ``cfg.name``: ``warmuplr`` (``warmup_steps``), ``constant`` or null (see conf/scheduler/).
    """
    check_scheduler_config(cfg, "scheduler")
    if cfg is None or cfg.get("name") in (None, "constant"):
        return None
    warmup = int(cfg.warmup_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_lr_factor(step + 1, warmup))
    return {"scheduler": sched, "interval": "step", "frequency": 1}
