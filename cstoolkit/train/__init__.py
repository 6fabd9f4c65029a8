"""One trainer for every cstoolkit model: Lightning, duration buckets, checkpoints, resume, averaging, logs."""

from cstoolkit.train.average import average_checkpoints
from cstoolkit.train.module import CstkLightningModule, NonFiniteLossError
from cstoolkit.train.sampler import DurationBucketBatchSampler
from cstoolkit.train.trainer import FitResult, fit

__all__ = [
    "CstkLightningModule",
    "DurationBucketBatchSampler",
    "FitResult",
    "NonFiniteLossError",
    "average_checkpoints",
    "fit",
]
