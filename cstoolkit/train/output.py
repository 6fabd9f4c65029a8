"""The contract between a model and the trainer: what a training forward returns.

Every model's training forward (``FlowModel``, ``NarT2S``, ``ArT2S``; ESPnet's ASR model through its
LightningModule) returns a :class:`StepOutput`: the named losses that are trained on, and the named stats that are
only logged. The trainer sums the losses and logs both; a new stat can never join the loss by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class StepOutput:
    """What a model computes for one batch: named losses (summed into the trained loss) and stats to log."""

    losses: dict[str, torch.Tensor]
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def loss(self) -> torch.Tensor:
        """The sum of the named losses (a single loss as it is)."""
        values = list(self.losses.values())
        return values[0] if len(values) == 1 else torch.stack(values).sum()
