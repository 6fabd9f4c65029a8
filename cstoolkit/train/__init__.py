"""One trainer for every cstoolkit model: Lightning, checkpoints, resume, averaging, logs.

How a model plugs in: a config group that reuses the shared optim/scheduler/batch/train groups and names its
LightningModule in ``module._target_``; a :class:`CstkLightningModule` subclass whose ``compute_losses(batch)``
returns a :class:`StepOutput` (named losses and stats); a loader from :mod:`cstoolkit.data.loader`. Then
``fit(build_module(cfg, prefix, **data), train_loader, dev_loader, exp_dir, cfg.train, trainer_cfg, seed)``.

Names load on first use, so importing ``cstoolkit.train`` does not import torch (process settings, made before
torch loads, are in :mod:`cstoolkit.core.runtime`).
"""

from __future__ import annotations

from cstoolkit.lazy import lazy_exports

__all__ = [
    "CstkLightningModule",
    "FitResult",
    "NonFiniteLossError",
    "StepOutput",
    "average_checkpoints",
    "build_module",
    "fit",
]

_WHERE = {
    "CstkLightningModule": "cstoolkit.train.module",
    "NonFiniteLossError": "cstoolkit.train.module",
    "StepOutput": "cstoolkit.train.module",
    "build_module": "cstoolkit.train.module",
    "FitResult": "cstoolkit.train.trainer",
    "fit": "cstoolkit.train.trainer",
    "average_checkpoints": "cstoolkit.train.average",
}


__getattr__ = lazy_exports(__name__, _WHERE)
