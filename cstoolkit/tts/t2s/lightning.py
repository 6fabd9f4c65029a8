"""LightningModule of the text -> speech-token models (NAR or AR): the shared trainer drives them like any other
model."""

from __future__ import annotations

from omegaconf import DictConfig

from cstoolkit.data.loader import Batch
from cstoolkit.train.module import CstkLightningModule
from cstoolkit.train.output import StepOutput
from cstoolkit.tts.t2s.base import build_t2s_model


class T2SLightningModule(CstkLightningModule):
    """A :class:`~cstoolkit.tts.t2s.nar.T2SModel` (``self.model``: the NAR model, trained on token cross-entropy
    + log-duration MSE, or the AR one, on next-token cross-entropy) trained on the named losses its forward returns.

    A batch holds ``text_units``, ``unit_langs``, ``unit_durations`` ``(B, N)``, ``speech_tokens`` ``(B, T)``, their
    ``*_lengths`` and, when the model takes a speaker, ``utt_embed`` ``(B, 1, speaker_dim)``.
    """

    def __init__(self, model_cfg: DictConfig) -> None:
        super().__init__(model_cfg)
        self.model = build_t2s_model(model_cfg)

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        """The model's named losses (``token_ce``, and ``duration`` for the NAR model; summed into the loss); stat
        ``token_acc``."""
        speaker = batch["utt_embed"][:, 0] if self.model.speaker_dim else None
        return self.model(
            batch["text_units"],
            batch["text_units_lengths"],
            batch["unit_langs"],
            batch["unit_durations"],
            batch["speech_tokens"],
            batch["speech_tokens_lengths"],
            speaker,
        )
