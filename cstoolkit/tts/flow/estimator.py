"""The flow-matching velocity network: a small 1-D U-Net of ResNet blocks with transformer blocks.

Like CosyVoice's and Matcha-TTS's decoder, it reads the concatenation [x_t, mu, speaker repeated over time,
prompt mel] (4 x n_mels channels) and a sinusoidal embedding of the flow time t. Each level of the U-Net is a
ResNet-1D block followed by transformer layers; levels are joined by stride-2 convolutions down and transposed
convolutions up, with skip connections. Everything is masked (see :mod:`cstoolkit.tts.layers`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from cstoolkit.errors import ConfigError
from cstoolkit.tts.layers import ConvBlock, ResBlock, Transformer1d, sinusoidal

#: inputs concatenated on the channel axis: x_t, mu, speaker, prompt mel
N_INPUTS = 4


class Level(nn.Module):
    """One U-Net level: ResBlock (in -> out channels) then transformer layers at ``out`` channels."""

    def __init__(
        self, in_ch: int, out_ch: int, time_dim: int, kernel: int, layers: int, heads: int, ff_mult: int, dropout: float
    ) -> None:
        super().__init__()
        self.res = ResBlock(in_ch, out_ch, time_dim, kernel)
        self.attn = Transformer1d(out_ch, layers, heads, ff_mult, dropout)

    def forward(self, x: Tensor, mask: Tensor, t_emb: Tensor) -> Tensor:
        return self.attn(self.res(x, mask, t_emb), mask)


class Estimator(nn.Module):
    """Velocity ``v(x_t, t | mu, speaker, prompt)`` for :class:`cstoolkit.tts.flow.cfm.CFM`.

    Args:
        n_mels: mel bins C (input and output).
        channels: channels per U-Net level, top first; each level after the first halves the frame rate.
        mid_blocks: levels at the bottom of the U-Net (at ``channels[-1]``, with ``transformer_layers[-1]``).
        transformer_layers: transformer layers per level (one number for all, or one per level: attention at the
            full frame rate costs the most on CPU, so a CPU model can start with 0).
        heads, ff_mult, dropout: the transformer layers' settings.
        kernel_size: width of the ResNet convolutions.
        time_dim: size of the time embedding (sinusoid of ``time_scale * t``, then a 2-layer MLP).
        time_scale: multiplies t in [0, 1] before the sinusoid (1000 as in diffusion/Matcha: spreads the
            frequencies over the unit interval).
    """

    def __init__(
        self,
        n_mels: int = 80,
        channels: Sequence[int] = (128, 128),
        mid_blocks: int = 1,
        transformer_layers: int | Sequence[int] = 1,
        heads: int = 2,
        ff_mult: int = 2,
        dropout: float = 0.0,
        kernel_size: int = 3,
        time_dim: int = 128,
        time_scale: float = 1000.0,
    ) -> None:
        super().__init__()
        channels = list(channels)
        if not channels or any(c % heads for c in channels):
            raise ConfigError(
                f"bad configuration value channels={channels}: expected a non-empty list of multiples of heads={heads}"
            )
        layers = [transformer_layers] * len(channels) if isinstance(transformer_layers, int) else transformer_layers
        if len(layers) != len(channels):
            raise ConfigError(
                f"bad configuration value transformer_layers={list(layers)}: expected one number or "
                f"one per level of channels={channels}"
            )
        self.n_mels = n_mels
        self.time_scale = time_scale
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        args = (time_dim, kernel_size)
        rest = (heads, ff_mult, dropout)
        ins = [N_INPUTS * n_mels, *channels[:-1]]
        self.down = nn.ModuleList(Level(i, o, *args, n, *rest) for i, o, n in zip(ins, channels, layers))
        self.pool = nn.ModuleList(nn.Conv1d(c, c, 3, stride=2, padding=1) for c in channels[:-1])
        self.mid = nn.ModuleList(Level(channels[-1], channels[-1], *args, layers[-1], *rest) for _ in range(mid_blocks))
        self.unpool = nn.ModuleList(nn.ConvTranspose1d(c, c, 4, stride=2, padding=1) for c in channels[1:])
        ups = [channels[-1], *channels[:0:-1]]  # channels arriving at each up level, bottom first
        self.up = nn.ModuleList(Level(u + o, o, *args, n, *rest) for u, o, n in zip(ups, channels[::-1], layers[::-1]))
        self.final = ConvBlock(channels[0], channels[0], kernel_size)
        self.proj = nn.Conv1d(channels[0], n_mels, 1)

    def forward(self, x: Tensor, mask: Tensor, mu: Tensor, t: Tensor, spks: Tensor, cond: Tensor) -> Tensor:
        """``x``, ``mu``, ``cond`` ``(B, C, T)``; ``mask`` ``(B, 1, T)``; ``t`` ``(B,)``; ``spks`` ``(B, C)`` ->
        velocity ``(B, C, T)``, zero on padded frames."""
        t_emb = self.time_mlp(sinusoidal(t * self.time_scale, self.time_mlp[0].in_features))
        h = torch.cat([x, mu, spks.unsqueeze(-1).expand_as(x), cond], dim=1) * mask
        skips, masks = [], []
        for i, level in enumerate(self.down):
            h = level(h, mask, t_emb)
            skips.append(h)
            masks.append(mask)
            if i < len(self.pool):
                h = self.pool[i](h * mask)
                mask = mask[:, :, ::2]
        for level in self.mid:
            h = level(h, mask, t_emb)
        for i, level in enumerate(self.up):
            if i > 0:  # back up one frame rate, cropped to the skip's length
                mask = masks[-1 - i]
                h = self.unpool[-i](h * masks[-i])[:, :, : mask.shape[-1]]
            h = level(torch.cat([h, skips[-1 - i]], dim=1), mask, t_emb)
        return self.proj(self.final(h, mask)) * mask
