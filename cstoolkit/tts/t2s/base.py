"""The abstract text -> speech-token model: the shared text encoder and the interface every T2S model keeps.

Shapes: ``(B, N)`` per unit, ``(B, T)`` per speech token, ``D`` = ``d_model``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cstoolkit.errors import ConfigError
from cstoolkit.train.output import StepOutput
from cstoolkit.tts.layers import ChannelNorm, Transformer1d, sequence_mask, sinusoidal

#: ``model`` keys that ``null`` leaves to the data (set by :func:`fill_from_data` when training starts)
FROM_DATA = ("unit_vocab_size", "lang_vocab_size", "codebook_size")


@dataclass
class T2SOutput:
    """What ``generate`` of a :class:`T2SModel` returns: ``tokens`` ``(B, T)`` (-1 past each length),
    ``token_lens`` ``(B,)``, the ``durations`` ``(B, N)`` used (0 on padded units)."""

    tokens: Tensor
    token_lens: Tensor
    durations: Tensor


class T2SModel(nn.Module, ABC):
    """What every text -> speech-token model shares (:class:`~cstoolkit.tts.t2s.nar.NarT2S`,
    :class:`~cstoolkit.tts.t2s.ar.ArT2S`): the text encoder (unit + language embeddings, sinusoidal positions, a
    speaker embedding added to every unit, a transformer) and the interface the shared trainer and synthesis use:
    :meth:`forward` and :meth:`generate` (abstract), :meth:`parameter_counts`, and the attributes ``codebook_size``
    and ``speaker_dim``.
    """

    @abstractmethod
    def forward(
        self,
        units: Tensor,
        unit_lens: Tensor,
        langs: Tensor,
        durations: Tensor | None,
        speech_tokens: Tensor,
        token_lens: Tensor,
        speaker: Tensor | None = None,
    ) -> StepOutput:
        """Named losses and stats of a training batch: ``units``, ``langs``, ``durations`` ``(B, N)`` (the aligned
        frames per unit; a model that does not use them may get None), ``speech_tokens`` ``(B, T)``, lengths
        ``(B,)``, ``speaker`` ``(B, speaker_dim)`` or None."""

    @abstractmethod
    def generate(
        self,
        units: Tensor,
        unit_lens: Tensor,
        langs: Tensor,
        speaker: Tensor | None = None,
        duration_scale: float = 1.0,
        temperature: float = 1.0,
        top_k: int = 0,
        durations: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> T2SOutput:
        """Speech tokens of a batch of texts (inputs as :meth:`forward`): ``duration_scale`` > 1 gives longer
        speech; ``temperature``/``top_k`` shape the sampling; ``durations`` force the frames per unit where the
        model uses them."""

    def init_text_encoder(
        self,
        unit_vocab_size: int,
        lang_vocab_size: int,
        codebook_size: int,
        speaker_dim: int,
        speaker_drop_prob: float,
        d_model: int,
        heads: int,
        ff_mult: int,
        encoder_layers: int,
        dropout: float,
        max_period: float,
    ) -> None:
        """Check the shared sizes and build the text encoder's modules."""
        sizes = {
            "unit_vocab_size": unit_vocab_size,
            "lang_vocab_size": lang_vocab_size,
            "codebook_size": codebook_size,
            "d_model": d_model,
        }
        for name, value in sizes.items():
            if not (isinstance(value, int) and value >= 1):
                raise ConfigError(f"bad configuration value t2s.model.{name}={value!r}: expected a whole number >= 1")
        if d_model % heads or d_model % 2:
            raise ConfigError(
                f"bad configuration value t2s.model.d_model={d_model}: expected an even multiple of heads={heads}"
            )
        self.unit_vocab_size, self.lang_vocab_size, self.codebook_size = unit_vocab_size, lang_vocab_size, codebook_size
        self.speaker_dim, self.speaker_drop_prob = int(speaker_dim or 0), speaker_drop_prob
        self.d_model, self.max_period = d_model, max_period
        self.unit_embed = nn.Embedding(unit_vocab_size, d_model)
        self.lang_embed = nn.Embedding(lang_vocab_size, d_model)
        self.speaker_proj = nn.Linear(self.speaker_dim, d_model) if self.speaker_dim else None
        self.encoder = Transformer1d(d_model, encoder_layers, heads, ff_mult, dropout)
        self.encoder_norm = ChannelNorm(d_model)

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part (:meth:`parts`) and in total."""
        counts = {k: sum(p.numel() for m in ms for p in m.parameters()) for k, ms in self.parts().items()}
        return {**counts, "total": sum(counts.values())}

    def parts(self) -> dict[str, list[nn.Module]]:
        """The model's modules by part, for :meth:`parameter_counts`."""
        return {
            "embeddings": [self.unit_embed, self.lang_embed, *([self.speaker_proj] if self.speaker_proj else [])],
            "encoder": [self.encoder, self.encoder_norm],
        }

    # -- the text encoder ----------------------------------------------------------------------------------------
    def encode(self, units: Tensor, unit_lens: Tensor, langs: Tensor, speaker: Tensor | None) -> tuple[Tensor, Tensor]:
        """``units``, ``langs`` ``(B, N)`` ids, ``unit_lens`` ``(B,)``, ``speaker`` ``(B, speaker_dim)`` or None ->
        encodings ``(B, D, N)`` and the unit mask ``(B, 1, N)``."""
        batch, width = units.shape
        mask = sequence_mask(unit_lens, width)
        pad = mask[:, 0] < 0.5
        ids = units.clamp(0, self.unit_vocab_size - 1).masked_fill(pad, 0)
        lang_ids = langs.clamp(0, self.lang_vocab_size - 1).masked_fill(pad, 0)
        x = (self.unit_embed(ids) + self.lang_embed(lang_ids)) * math.sqrt(self.d_model)
        x = x + sinusoidal(torch.arange(width, device=units.device), self.d_model, self.max_period)
        if self.speaker_proj is not None:
            x = x + self.speaker_proj(self._speaker(speaker, batch, x))[:, None]
        h = self.encoder(x.transpose(1, 2) * mask, mask)
        return self.encoder_norm(h) * mask, mask

    def _speaker(self, speaker: Tensor | None, batch: int, ref: Tensor) -> Tensor:
        """L2-normalised ``(B, speaker_dim)`` (zeros for None, and for ``speaker_drop_prob`` of training samples)."""
        if speaker is None:
            return ref.new_zeros(batch, self.speaker_dim)
        if speaker.shape != (batch, self.speaker_dim):
            raise ValueError(f"speaker: expected shape ({batch}, {self.speaker_dim}), got {tuple(speaker.shape)}")
        spk = F.normalize(speaker.to(ref.dtype), dim=-1)
        if self.training and self.speaker_drop_prob > 0:
            keep = (torch.rand(batch, device=spk.device) >= self.speaker_drop_prob).to(spk.dtype)
            spk = spk * keep[:, None]
        return spk


def fill_from_data(t2s_cfg: Any, **values: int) -> Any:
    """A copy of the ``t2s`` group whose null ``model`` keys of :data:`FROM_DATA` take ``values``; set keys stay."""
    from cstoolkit.train.build import fill_from_data as fill

    return fill(t2s_cfg, FROM_DATA, **{k: int(v) for k, v in values.items()})


def build_t2s_model(t2s_cfg: Any) -> T2SModel:
    """The :class:`T2SModel` (:class:`NarT2S`, :class:`cstoolkit.tts.t2s.ar.ArT2S`) of a ``conf/t2s`` group (its
    ``model:`` node, built with Hydra's ``instantiate``)."""
    from cstoolkit.train.build import build_model

    return build_model(t2s_cfg, "t2s", T2SModel, FROM_DATA, "cstk train-t2s")
