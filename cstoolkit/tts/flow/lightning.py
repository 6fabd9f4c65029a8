"""LightningModule of the flow-matching acoustic model: the shared trainer drives it like any other model."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from cstoolkit.data.loader import Batch
from cstoolkit.train.module import CstkLightningModule
from cstoolkit.train.output import StepOutput
from cstoolkit.tts.flow.augment import mel_centers, warp_log_mel
from cstoolkit.tts.flow.model import build_flow_model


class FlowLightningModule(CstkLightningModule):
    """:class:`~cstoolkit.tts.flow.model.FlowModel` (``self.model``) trained with its masked OT-CFM loss.

    A batch holds ``speech_tokens`` ``(B, N)``, ``mel`` ``(B, T, n_mels)`` (frames first, as ``mel.scp`` stores
    them), ``utt_embed`` ``(B, 1, speaker_dim)`` and their ``*_lengths``. Validation draws its time steps, noise
    and prompts from a fixed seed per batch, so that epochs are compared on the same draws.
    """

    def __init__(self, model_cfg: DictConfig) -> None:
        super().__init__(model_cfg)
        self.model = build_flow_model(model_cfg)
        aug = model_cfg.get("speaker_augment") or {}
        self.warp_prob = float(aug.get("prob", 0.0))
        self.warp_range = tuple(float(a) for a in aug.get("alpha", (1.0, 1.0)))
        self.warp_drops_speaker = bool(aug.get("drop_speaker", True))
        self.speaker_drop_prob = float(model_cfg.get("speaker_drop_prob", 0.0))
        n_mels = int(model_cfg.model.n_mels)
        self.register_buffer(
            "mel_centers",
            mel_centers(n_mels, float(aug.get("fmin", 0.0)), float(aug.get("fmax", 8000.0))),
            persistent=False,
        )

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        """Named loss ``flow`` (masked MSE of the estimated velocity); stat ``prompt_frames`` (share of frames
        given as prompt)."""
        mel, speaker = batch["mel"], batch["utt_embed"][:, 0]
        if self.training:
            mel, speaker = self._augment(mel, speaker)
        return self.model(
            batch["speech_tokens"], batch["speech_tokens_lengths"], mel.transpose(1, 2), batch["mel_lengths"], speaker
        )

    def _augment(self, mel: torch.Tensor, speaker: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Speaker augmentation (``speaker_augment``): a share of the samples get a frequency-warped mel (a new
        voice; its d-vector, which no longer matches, is dropped), and ``speaker_drop_prob`` of the others lose the
        d-vector, so that the voice has to come from the prompt mel."""
        batch = mel.shape[0]
        warp = torch.rand(batch, device=mel.device) < self.warp_prob
        if warp.any():
            low, high = self.warp_range
            alpha = torch.where(warp, low + (high - low) * torch.rand(batch, device=mel.device), 1.0)
            mel = warp_log_mel(mel, alpha, self.mel_centers)
        drop = torch.rand(batch, device=mel.device) < self.speaker_drop_prob
        if self.warp_drops_speaker:
            drop = drop | warp
        return mel, speaker * (~drop).to(speaker.dtype)[:, None]

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(1000 + batch_idx)
            super().validation_step(batch, batch_idx)
