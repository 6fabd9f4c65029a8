"""LightningModule of the flow-matching acoustic model: the shared trainer drives it like any other model."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from cstoolkit.data.loader import Batch
from cstoolkit.train.module import CstkLightningModule, StepOutput
from cstoolkit.tts.flow_model import build_flow_model


class FlowLightningModule(CstkLightningModule):
    """:class:`~cstoolkit.tts.flow_model.FlowModel` (``self.model``) trained with its masked OT-CFM loss.

    A batch holds ``speech_tokens`` ``(B, N)``, ``mel`` ``(B, T, n_mels)`` (frames first, as ``mel.scp`` stores
    them), ``utt_embed`` ``(B, 1, speaker_dim)`` and their ``*_lengths``. Validation draws its time steps, noise
    and prompts from a fixed seed per batch, so that epochs are compared on the same draws.
    """

    def __init__(self, model_cfg: DictConfig) -> None:
        super().__init__(model_cfg)
        self.model = build_flow_model(model_cfg)

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        """Named loss ``flow`` (masked MSE of the estimated velocity); stat ``prompt_frames`` (share of frames
        given as prompt)."""
        out = self.model(
            batch["speech_tokens"],
            batch["speech_tokens_lengths"],
            batch["mel"].transpose(1, 2),
            batch["mel_lengths"],
            batch["utt_embed"][:, 0],
        )
        return StepOutput({"flow": out["flow_mse"]}, {"prompt_frames": float(out["prompt_frames"])})

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(1000 + batch_idx)
            super().validation_step(batch, batch_idx)
