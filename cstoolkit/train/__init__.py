"""One trainer for every cstoolkit model: Lightning, duration buckets, checkpoints, resume, averaging, logs.

Names load on first use, so importing ``cstoolkit.train.env`` (before torch) does not import torch.
"""

from __future__ import annotations

from cstoolkit.lazy import lazy_exports

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


__getattr__ = lazy_exports(__name__, _WHERE)
