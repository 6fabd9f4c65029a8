"""The non-autoregressive text -> speech-token model (FastSpeech-style, at the rate of the speech tokens).

text units + their language + a speaker embedding -> transformer encoder (one position per unit) -> duration
predictor (log frames per unit, from the *detached* encoder output, masked MSE) -> length regulator (each unit's
encoding repeated over its frames: the aligned durations in training, the predicted ones at inference) ->
transformer decoder (one position per speech token) -> logits over the speech-token codebook (cross-entropy).

The durations come from :mod:`cstoolkit.tts.t2s.align` (CTC forced alignment with the tokenizer's own head), so every
unit has at least one frame and an utterance's durations sum to its number of speech tokens. Frames carry two
sinusoidal positions: their index in the utterance and their index inside their unit.
Shapes: ``(B, N)`` per unit, ``(B, T)`` per frame (speech token), ``D`` = ``d_model``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cstoolkit.errors import ConfigError
from cstoolkit.train.output import StepOutput
from cstoolkit.tts.layers import ChannelNorm, ConvBlock, Transformer1d, check_lengths, sequence_mask, sinusoidal
from cstoolkit.tts.t2s.base import T2SModel, T2SOutput


class DurationPredictor(nn.Module):
    """FastSpeech's duration predictor: masked conv blocks -> dropout -> 1x1 conv to one log-duration per unit.

    ``x`` ``(B, D, N)``, ``mask`` ``(B, 1, N)`` -> log frames ``(B, N)`` (0 on padding).
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            ConvBlock(in_channels if k == 0 else channels, channels, kernel_size) for k in range(layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Conv1d(channels if layers else in_channels, 1, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        for block in self.blocks:
            x = self.dropout(block(x, mask))
        return (self.out(x) * mask)[:, 0]


class NarT2S(T2SModel):
    """Non-autoregressive text units -> speech tokens.

    Args:
        unit_vocab_size: model text units (the tokenizer's ``units/tokens.txt``); lang_vocab_size: language codes
            (index 0: unknown); codebook_size: speech-token codes.
        speaker_dim: speaker embedding size (resemblyzer: 256); 0: no speaker input.
        speaker_drop_prob: share of training samples whose speaker embedding is zeroed, so that synthesis
            without one (``speaker=None``) is a trained condition.
        d_model, heads, ff_mult, dropout: the transformers; encoder_layers (per unit), decoder_layers (per frame).
        duration_channels, duration_kernel_size, duration_layers, duration_dropout: the duration predictor.
        max_unit_frames: longest predicted duration of one unit (frames) at inference.
        max_period: longest period of the sinusoidal positions.
    """

    def __init__(
        self,
        unit_vocab_size: int,
        lang_vocab_size: int,
        codebook_size: int,
        speaker_dim: int = 256,
        speaker_drop_prob: float = 0.1,
        d_model: int = 128,
        heads: int = 2,
        ff_mult: int = 4,
        encoder_layers: int = 2,
        decoder_layers: int = 2,
        dropout: float = 0.1,
        duration_channels: int = 128,
        duration_kernel_size: int = 3,
        duration_layers: int = 2,
        duration_dropout: float = 0.1,
        max_unit_frames: int = 100,
        max_period: float = 10000.0,
    ) -> None:
        super().__init__()
        if not (isinstance(max_unit_frames, int) and max_unit_frames >= 1):
            raise ConfigError(
                f"bad configuration value t2s.model.max_unit_frames={max_unit_frames!r}: expected a whole number >= 1"
            )
        self.init_text_encoder(
            unit_vocab_size,
            lang_vocab_size,
            codebook_size,
            speaker_dim,
            speaker_drop_prob,
            d_model,
            heads,
            ff_mult,
            encoder_layers,
            dropout,
            max_period,
        )
        self.max_unit_frames = max_unit_frames
        self.duration = DurationPredictor(
            d_model, duration_channels, duration_kernel_size, duration_layers, duration_dropout
        )
        self.decoder = Transformer1d(d_model, decoder_layers, heads, ff_mult, dropout)
        self.decoder_norm = ChannelNorm(d_model)
        self.head = nn.Conv1d(d_model, codebook_size, 1)

    def parts(self) -> dict[str, list[nn.Module]]:
        """The text encoder's parts, the duration predictor and the frame decoder."""
        return {**super().parts(), "duration": [self.duration], "decoder": [self.decoder, self.decoder_norm, self.head]}

    # -- the parts -----------------------------------------------------------------------------------------------
    def predict_log_durations(self, h: Tensor, mask: Tensor) -> Tensor:
        """Log frames per unit ``(B, N)`` from encodings ``(B, D, N)`` (detached: the duration loss does not shape
        the encoder, as in FastSpeech 2)."""
        return self.duration(h.detach(), mask)

    def regulate(self, h: Tensor, durations: Tensor) -> tuple[Tensor, Tensor]:
        """Length regulator: encodings ``(B, D, N)`` and ``durations`` ``(B, N)`` (0 on padded units) -> frame
        inputs ``(B, D, T)`` with ``T = max(sum(durations))`` (frame and within-unit positions added) and the
        frame mask ``(B, 1, T)``."""
        durations = durations.long().clamp(min=0)
        ends = durations.cumsum(1)  # (B, N)
        totals = ends[:, -1]
        width = max(int(totals.max()), 1)
        frames = torch.arange(width, device=h.device)
        idx = torch.searchsorted(ends, frames[None].expand(h.shape[0], -1).contiguous(), right=True)
        idx = idx.clamp(max=h.shape[2] - 1)  # (B, T): the unit of each frame
        offset = frames[None] - (ends - durations).gather(1, idx)  # (B, T): frame index inside its unit
        x = h.gather(2, idx[:, None].expand(-1, h.shape[1], -1))
        pos = sinusoidal(frames, self.d_model, self.max_period).T[None]
        inner = sinusoidal(offset.clamp(min=0).flatten(), self.d_model, self.max_period)
        inner = inner.view(*offset.shape, self.d_model).transpose(1, 2)
        mask = sequence_mask(totals, width)
        return (x + pos + inner) * mask, mask

    def decode(self, h: Tensor, durations: Tensor) -> tuple[Tensor, Tensor]:
        """Logits ``(B, codebook_size, T)`` and the frame mask ``(B, 1, T)`` of encodings ``h`` ``(B, D, N)``
        spread over ``durations`` ``(B, N)``."""
        x, mask = self.regulate(h, durations)
        y = self.decoder_norm(self.decoder(x, mask))
        return self.head(y), mask

    # -- training ------------------------------------------------------------------------------------------------
    def forward(
        self,
        units: Tensor,
        unit_lens: Tensor,
        langs: Tensor,
        durations: Tensor,
        speech_tokens: Tensor,
        token_lens: Tensor,
        speaker: Tensor | None = None,
    ) -> StepOutput:
        """Named losses and stats of a training batch.

        Args:
            units, langs: ``(B, N)`` unit and language ids (padding: any value); unit_lens: ``(B,)``.
            durations: ``(B, N)`` frames per unit (aligned; padding: any value); their sum per utterance must be
                ``token_lens``.
            speech_tokens: ``(B, T)`` codes (padding: any value), ``T >= max(token_lens)``; token_lens: ``(B,)``.
            speaker: ``(B, speaker_dim)`` or None.
        Returns:
            losses ``token_ce`` and ``duration`` (trained on their sum) and stat ``token_acc``: token_ce is the
            mean cross-entropy over the valid frames, duration the mean squared error of log durations over the
            valid units, token_acc the share of valid frames whose arg-max code is right (no gradient).
        """
        check_lengths(unit_lens=unit_lens, token_lens=token_lens)
        h, unit_mask = self.encode(units, unit_lens, langs, speaker)
        durations = durations.long() * unit_mask[:, 0].long()
        if not torch.equal(durations.sum(1), token_lens.long()):
            raise ValueError(
                f"durations sum to {durations.sum(1).tolist()} frames, token_lens are {token_lens.tolist()}"
            )
        logits, frame_mask = self.decode(h, durations)
        valid = frame_mask[:, 0] > 0.5  # (B, T)
        target = speech_tokens[:, : valid.shape[1]].long()
        picked = logits.transpose(1, 2)[valid]  # (frames, codebook)
        token_ce = F.cross_entropy(picked, target[valid])
        token_acc = (picked.detach().argmax(-1) == target[valid]).float().mean()
        log_pred = self.predict_log_durations(h, unit_mask)
        unit_valid = unit_mask[:, 0] > 0.5
        log_true = torch.log(durations.clamp(min=1).float())
        duration = F.mse_loss(log_pred[unit_valid], log_true[unit_valid])
        return StepOutput({"token_ce": token_ce, "duration": duration}, {"token_acc": float(token_acc)})

    # -- inference -----------------------------------------------------------------------------------------------
    def predict_durations(self, log_durations: Tensor, unit_mask: Tensor, duration_scale: float = 1.0) -> Tensor:
        """Frames per unit ``(B, N)``: ``round(exp(log_d) * duration_scale)`` within ``[1, max_unit_frames]`` (0 on
        padded units)."""
        if not duration_scale > 0:
            raise ValueError(f"duration_scale must be > 0, got {duration_scale}")
        frames = torch.round(torch.exp(log_durations) * duration_scale).clamp(1, self.max_unit_frames).long()
        return frames * unit_mask[:, 0].long()

    @torch.no_grad()
    def generate(
        self,
        units: Tensor,
        unit_lens: Tensor,
        langs: Tensor,
        speaker: Tensor | None = None,
        duration_scale: float = 1.0,
        temperature: float = 0.0,
        top_k: int | None = None,
        durations: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> T2SOutput:
        """Speech tokens of a batch of unit sequences (call ``eval()`` first).

        Args:
            units, langs: ``(B, N)`` ids; unit_lens: ``(B,)``; speaker: ``(B, speaker_dim)`` or None.
            duration_scale: multiplies every predicted duration (> 1: slower speech).
            temperature: 0 takes the arg-max code of every frame; > 0 samples from ``softmax(logits / temperature)``
                restricted to the ``top_k`` most likely codes (None or 0: all).
            durations: ``(B, N)`` frames per unit to use instead of the predicted ones (e.g. an alignment).
            generator: the random draws of sampling.
        Returns:
            :class:`T2SOutput`: tokens ``(B, T)`` with ``T = max(token_lens)`` and ``token_lens = durations.sum(1)``.
        """
        check_lengths(unit_lens=unit_lens)
        h, unit_mask = self.encode(units, unit_lens, langs, speaker)
        if durations is None:
            durations = self.predict_durations(self.predict_log_durations(h, unit_mask), unit_mask, duration_scale)
        else:
            durations = durations.long().to(h.device) * unit_mask[:, 0].long()
        logits, frame_mask = self.decode(h, durations)
        logits = logits.transpose(1, 2)  # (B, T, codebook)
        if temperature and temperature > 0:
            logits = logits / temperature
            if top_k and 0 < top_k < logits.shape[-1]:
                kth = logits.topk(int(top_k), dim=-1).values[..., -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = logits.softmax(-1).flatten(0, 1)
            tokens = torch.multinomial(probs, 1, generator=generator).view(logits.shape[:2])
        else:
            tokens = logits.argmax(-1)
        valid = frame_mask[:, 0] > 0.5
        return T2SOutput(tokens.masked_fill(~valid, -1), durations.sum(1), durations)
