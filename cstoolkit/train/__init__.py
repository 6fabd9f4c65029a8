"""One trainer for every cstoolkit model: Lightning, duration buckets, checkpoints, resume, averaging, logs.

Names load on first use, so importing ``cstoolkit.train.env`` (before torch) does not import torch.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CstkLightningModule",
    "DurationBucketBatchSampler",
    "FitResult",
    "NonFiniteLossError",
    "average_checkpoints",
    "fit",
]

_WHERE = {
    "CstkLightningModule": "cstoolkit.train.module",
    "NonFiniteLossError": "cstoolkit.train.module",
    "DurationBucketBatchSampler": "cstoolkit.train.sampler",
    "FitResult": "cstoolkit.train.trainer",
    "fit": "cstoolkit.train.trainer",
    "average_checkpoints": "cstoolkit.train.average",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'cstoolkit.train' has no attribute {name!r}")
