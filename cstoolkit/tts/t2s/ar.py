"""The autoregressive text -> speech-token model (CosyVoice's LM, at the demo's scale).

One causal transformer reads, per utterance, ``[text encodings (N)] [task] [s_1 ... s_T]`` and predicts
``s_1 ... s_T, EOS`` at the positions ``task, s_1 ... s_T`` (cross-entropy over the codebook + EOS). The text
encodings come from the shared text encoder of :class:`~cstoolkit.tts.t2s.nar.T2SModel` (units + language +
speaker), so the speaker conditions every step through them. Generation samples one token at a time: nucleus
sampling (``top_p``, optionally ``top_k``) with CosyVoice 2's repetition-aware sampling (a token already drawn
``ras_threshold * ras_window`` times in the last ``ras_window`` steps is redrawn from the whole distribution), EOS
forbidden before ``min_len_ratio`` tokens per unit and the output cut at ``max_len_ratio`` tokens per unit.

The sequence assembly and the sampling loop are written here: CosyVoice's own LM needs its whole package (and a
pretrained Qwen in version 2); at the demo's lengths (< 200 positions) generation recomputes the prefix each step
instead of keeping a key/value cache.
Shapes: ``(B, N)`` per unit, ``(B, T)`` per speech token, ``(B, L)`` per LM position, ``D`` = ``d_model``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cstoolkit.train.output import StepOutput
from cstoolkit.tts.layers import check_lengths, sinusoidal
from cstoolkit.tts.t2s.base import T2SModel, T2SOutput


class ArT2S(T2SModel):
    """Autoregressive text units -> speech tokens (decoder-only LM over text encodings and tokens).

    Args:
        unit_vocab_size, lang_vocab_size, codebook_size, speaker_dim, speaker_drop_prob, d_model, heads, ff_mult,
            encoder_layers, dropout, max_period: as :class:`~cstoolkit.tts.t2s.nar.NarT2S` (the text encoder).
        lm_layers: causal transformer layers over the text encodings and speech tokens.
        top_p: nucleus of the sampling distribution (1: all tokens).
        ras_window, ras_threshold: repetition-aware sampling (CosyVoice 2: 10 and 0.1).
        min_len_ratio, max_len_ratio: the fewest / most speech tokens per text unit at generation.
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
        lm_layers: int = 4,
        dropout: float = 0.1,
        max_period: float = 10000.0,
        top_p: float = 0.8,
        ras_window: int = 10,
        ras_threshold: float = 0.1,
        min_len_ratio: float = 1.0,
        max_len_ratio: float = 12.0,
    ) -> None:
        super().__init__()
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
        self.top_p, self.ras_window, self.ras_threshold = top_p, ras_window, ras_threshold
        self.min_len_ratio, self.max_len_ratio = min_len_ratio, max_len_ratio
        self.eos = codebook_size  # the last output class
        self.token_embed = nn.Embedding(codebook_size, d_model)
        self.task = nn.Parameter(torch.randn(d_model) * 0.02)  # "speech starts here" (CosyVoice's task_id)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, ff_mult * d_model, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.lm = nn.TransformerEncoder(layer, lm_layers, enable_nested_tensor=False)
        self.lm_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, codebook_size + 1)

    def parts(self) -> dict[str, list[nn.Module]]:
        """The text encoder's parts and the LM (token embedding, task position, transformer, output)."""
        return {**super().parts(), "lm": [self.token_embed, self.lm, self.lm_norm, self.head]}

    # -- the LM --------------------------------------------------------------------------------------------------
    def run_lm(self, x: Tensor, pad: Tensor | None = None) -> Tensor:
        """Causal transformer: inputs ``(B, L, D)`` (positions added here), ``pad`` ``(B, L)`` True on padding ->
        logits ``(B, L, codebook_size + 1)``."""
        width = x.shape[1]
        x = x + sinusoidal(torch.arange(width, device=x.device), self.d_model, self.max_period)
        causal = torch.ones(width, width, dtype=torch.bool, device=x.device).triu(1)
        y = self.lm(x, mask=causal, src_key_padding_mask=pad)
        return self.head(self.lm_norm(y))

    def sequences(
        self, h: Tensor, unit_lens: Tensor, tokens: Tensor, token_lens: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """LM inputs ``(B, L, D)`` with ``L = max(N_b + 1 + T_b)``, the padding mask ``(B, L)`` and the targets
        ``(B, L)`` (the next token after ``task`` and each speech token, EOS after the last; -100 elsewhere), from
        text encodings ``h`` ``(B, D, N)`` and ``tokens`` ``(B, T)``."""
        batch = h.shape[0]
        total = unit_lens + 1 + token_lens
        width = int(total.max())
        x = h.new_zeros(batch, width, self.d_model)
        target = torch.full((batch, width), -100, dtype=torch.long, device=h.device)
        embedded = self.token_embed(tokens.clamp(0, self.codebook_size - 1).long())
        for b in range(batch):
            n, t = int(unit_lens[b]), int(token_lens[b])
            x[b, :n] = h[b, :, :n].T
            x[b, n] = self.task
            x[b, n + 1 : n + 1 + t] = embedded[b, :t]
            target[b, n : n + t] = tokens[b, :t]
            target[b, n + t] = self.eos
        pad = torch.arange(width, device=h.device)[None] >= total[:, None]
        return x, pad, target

    # -- training ------------------------------------------------------------------------------------------------
    def forward(
        self,
        units: Tensor,
        unit_lens: Tensor,
        langs: Tensor,
        durations: Tensor | None,
        speech_tokens: Tensor,
        token_lens: Tensor,
        speaker: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """Named losses of a training batch (arguments as :meth:`NarT2S.forward`; ``durations`` are not used).

        Returns ``{"loss", "token_ce", "token_acc"}``: the mean cross-entropy of the next speech token (and of EOS)
        over the valid positions, and the share of them whose arg-max is right (no gradient).
        """
        check_lengths(unit_lens=unit_lens, token_lens=token_lens)
        h, _ = self.encode(units, unit_lens, langs, speaker)
        x, pad, target = self.sequences(h, unit_lens, speech_tokens, token_lens)
        logits = self.run_lm(x, pad)
        valid = target >= 0
        picked = logits[valid]
        token_ce = F.cross_entropy(picked, target[valid])
        token_acc = (picked.detach().argmax(-1) == target[valid]).float().mean()
        return StepOutput({"token_ce": token_ce}, {"token_acc": float(token_acc)})

    # -- inference -----------------------------------------------------------------------------------------------
    def sample(
        self, logits: Tensor, history: list[int], temperature: float, top_k: int | None, generator: torch.Generator
    ) -> int:
        """One token from ``logits`` ``(codebook_size + 1,)``: arg-max for ``temperature`` 0, else nucleus
        sampling with repetition-aware resampling over the last ``ras_window`` tokens of ``history``."""
        if not temperature or temperature <= 0:
            return int(logits.argmax())
        scaled = logits / temperature
        probs = scaled.softmax(-1)
        ranked, order = probs.sort(descending=True)
        keep = ranked.cumsum(0) - ranked < self.top_p  # the smallest set whose mass reaches top_p
        if top_k and top_k > 0:
            keep[top_k:] = False
        keep[0] = True
        nucleus = torch.zeros_like(probs).scatter(0, order[keep], ranked[keep])
        token = int(torch.multinomial(nucleus, 1, generator=generator))
        recent = history[-self.ras_window :]
        if token != self.eos and recent.count(token) >= max(1.0, self.ras_threshold * self.ras_window):
            token = int(torch.multinomial(probs, 1, generator=generator))
        return token

    @torch.no_grad()
    def generate(
        self,
        units: Tensor,
        unit_lens: Tensor,
        langs: Tensor,
        speaker: Tensor | None = None,
        duration_scale: float = 1.0,
        temperature: float = 1.0,
        top_k: int | None = None,
        durations: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> T2SOutput:
        """Speech tokens of a batch of unit sequences, one utterance and one token at a time (call ``eval()``).

        ``duration_scale`` multiplies the length bounds (``min/max_len_ratio`` tokens per unit); ``temperature``,
        ``top_k``: see :meth:`sample`; ``durations`` must be None (an AR model does not take them).
        Returns :class:`T2SOutput` with ``durations`` all 0 (the model has no per-unit durations).
        """
        if durations is not None:
            raise ValueError("an autoregressive model takes no durations")
        if not duration_scale > 0:
            raise ValueError(f"duration_scale must be > 0, got {duration_scale}")
        check_lengths(unit_lens=unit_lens)
        generator = generator or torch.Generator(device=units.device).manual_seed(0)
        h, _ = self.encode(units, unit_lens, langs, speaker)
        outputs: list[list[int]] = []
        for b in range(h.shape[0]):
            n = int(unit_lens[b])
            prefix = torch.cat([h[b, :, :n].T, self.task[None]])  # (n + 1, D)
            min_len = max(1, int(n * self.min_len_ratio * duration_scale))
            max_len = max(int(n * self.max_len_ratio * duration_scale), min_len + 1)
            tokens: list[int] = []
            while len(tokens) < max_len:
                steps = self.token_embed(torch.tensor(tokens, dtype=torch.long, device=h.device))
                logits = self.run_lm(torch.cat([prefix, steps])[None])[0, -1]
                if len(tokens) < min_len:
                    logits[self.eos] = float("-inf")
                token = self.sample(logits, tokens, temperature, top_k, generator)
                if token == self.eos:
                    break
                tokens.append(token)
            outputs.append(tokens)
        lens = torch.tensor([len(t) for t in outputs], dtype=torch.long, device=units.device)
        out = torch.full((len(outputs), int(lens.max())), -1, dtype=torch.long, device=units.device)
        for b, tokens in enumerate(outputs):
            out[b, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        return T2SOutput(out, lens, torch.zeros_like(units, dtype=torch.long))
