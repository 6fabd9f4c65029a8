"""Speech tokens -> frame-level condition ``mu`` at the mel rate.

token embedding -> transformer encoder (at the token rate) -> linear to n_mels -> length regulator (linear
interpolation of each utterance's token sequence to its own mel frame count) -> a few masked conv blocks -> ``mu``.
This is CosyVoice's flow front end (its conformer replaced by a torch transformer, whose padding masks are exact).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cstoolkit.tts.layers import ConvBlock, sequence_mask, sinusoidal


def interpolation_positions(src_lens: Tensor, out_lens: Tensor, max_out: int) -> Tensor:
    """Source positions ``(B, max_out)`` of output frames when ``src_lens[b]`` items are stretched linearly over
    ``out_lens[b]`` frames (``align_corners=False``, as ``F.interpolate``), clamped to ``[0, src_len - 1]``."""
    j = torch.arange(max_out, device=src_lens.device, dtype=torch.float32)[None]
    ratio = src_lens.float()[:, None] / out_lens.clamp(min=1).float()[:, None]
    pos = (j + 0.5) * ratio - 0.5
    return torch.minimum(pos.clamp(min=0.0), (src_lens[:, None] - 1).clamp(min=0).float())


def gather_linear(h: Tensor, positions: Tensor) -> Tensor:
    """Linear interpolation of ``h`` ``(B, N, D)`` at fractional ``positions`` ``(B, T)`` -> ``(B, D, T)``."""
    lo = positions.floor().long()
    hi = (lo + 1).clamp(max=h.shape[1] - 1)
    frac = (positions - lo.float()).unsqueeze(-1).to(h.dtype)
    pick = lambda idx: torch.gather(h, 1, idx.unsqueeze(-1).expand(-1, -1, h.shape[2]))  # noqa: E731
    return ((1.0 - frac) * pick(lo) + frac * pick(hi)).transpose(1, 2)


class TokenEncoder(nn.Module):
    """Speech-token encoder with length regulator.

    Args:
        vocab_size: speech-token codebook size (ids outside ``[0, vocab_size)`` on padded positions are fine).
        n_mels: channels of ``mu`` (the mel bins).
        d_model, layers, heads, ff_mult, dropout: the transformer encoder at the token rate.
        conv_layers, kernel_size: masked conv blocks after the length regulator (at the mel rate).
        max_period: longest period of the sinusoidal token positions.
    """

    def __init__(
        self,
        vocab_size: int,
        n_mels: int = 80,
        d_model: int = 128,
        layers: int = 2,
        heads: int = 2,
        ff_mult: int = 4,
        dropout: float = 0.1,
        conv_layers: int = 2,
        kernel_size: int = 3,
        max_period: float = 10000.0,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.max_period = max_period
        self.embed = nn.Embedding(vocab_size, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, ff_mult * d_model, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.proj = nn.Linear(d_model, n_mels)
        self.convs = nn.ModuleList(ConvBlock(n_mels, n_mels, kernel_size) for _ in range(conv_layers))
        self.out = nn.Conv1d(n_mels, n_mels, 1)

    def encode(self, tokens: Tensor, token_lens: Tensor) -> Tensor:
        """``tokens`` ``(B, N)`` ints, ``token_lens`` ``(B,)`` -> ``(B, N, n_mels)`` at the token rate."""
        pad = sequence_mask(token_lens, tokens.shape[1])[:, 0] < 0.5
        ids = tokens.clamp(0, self.vocab_size - 1).masked_fill(pad, 0)
        x = self.embed(ids) * self.embed.embedding_dim**0.5
        x = x + sinusoidal(torch.arange(tokens.shape[1], device=tokens.device), x.shape[-1], self.max_period)
        return self.proj(self.encoder(x, src_key_padding_mask=pad))

    def regulate(self, h: Tensor, positions: Tensor, mask: Tensor) -> Tensor:
        """Token-rate features ``h`` ``(B, N, C)`` sampled at ``positions`` ``(B, T)`` -> ``mu`` ``(B, C, T)``."""
        x = gather_linear(h, positions) * mask
        for conv in self.convs:
            x = conv(x, mask)
        return self.out(x) * mask

    def forward(self, tokens: Tensor, token_lens: Tensor, mel_lens: Tensor) -> tuple[Tensor, Tensor]:
        """``tokens`` ``(B, N)``, lengths ``(B,)`` -> ``mu`` ``(B, C, T)`` with ``T = max(mel_lens)``, and the mel
        mask ``(B, 1, T)``: each utterance's tokens are stretched over its own ``mel_lens[b]`` frames."""
        mask = sequence_mask(mel_lens)
        positions = interpolation_positions(token_lens, mel_lens, mask.shape[-1])
        return self.regulate(self.encode(tokens, token_lens), positions, mask), mask
