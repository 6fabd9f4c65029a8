"""The token -> mel acoustic model: speech tokens + a speaker embedding + a voice prompt -> 80-bin log-mel.

CosyVoice's flow model (Du et al. 2024) at any size: a :class:`TokenEncoder` gives the frame-level condition
``mu``, the speaker embedding is L2-normalised and projected to n_mels, and :class:`CFM` trains / samples the
:class:`Estimator` over [x_t, mu, speaker, prompt mel].

Training (:meth:`FlowModel.forward`) takes a batch and returns named losses, so a LightningModule only wraps it:
in ``prompt_prob`` of the samples a random prefix of up to ``prompt_max_frac`` of the target mel is given as the
prompt condition, and all conditions are dropped together with ``drop_prob`` (classifier-free guidance).
Inference (:meth:`FlowModel.generate`) puts the prompt's tokens and mel first and returns the frames after it.
Mels are ``(B, n_mels, T)`` natural-log magnitudes (the features stage's ``mel.scp`` transposed); inside the
model they are standardised with ``mel_mean``/``mel_std`` so that they match the N(0, I) noise in scale.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cstoolkit.errors import ConfigError
from cstoolkit.train.output import StepOutput
from cstoolkit.tts.flow.cfm import CFM
from cstoolkit.tts.flow.estimator import Estimator
from cstoolkit.tts.flow.token_encoder import TokenEncoder, interpolation_positions
from cstoolkit.tts.layers import check_lengths, sequence_mask


class FlowModel(nn.Module):
    """Conditional flow-matching acoustic model.

    Args:
        encoder: speech tokens -> ``mu``; estimator: the velocity network.
        n_mels: mel bins; speaker_dim: size of the speaker embedding (resemblyzer: 256).
        token_rate, mel_rate: tokens and mel frames per second (frame counts of :meth:`generate`).
        sigma_min, drop_prob, train_schedule: see :class:`CFM`.
        prompt_prob, prompt_max_frac: share of training samples given a prompt, and its longest share of the mel.
        loss_on_prompt: count the prompt frames in the loss too (CosyVoice does).
        mel_mean, mel_std: standardisation of the log-mel inside the model (kept as buffers in the state dict).
    """

    def __init__(
        self,
        encoder: TokenEncoder,
        estimator: Estimator,
        n_mels: int = 80,
        speaker_dim: int = 256,
        token_rate: float = 25.0,
        mel_rate: float = 22050 / 256,
        sigma_min: float = 1e-6,
        drop_prob: float = 0.2,
        train_schedule: str = "linear",
        prompt_prob: float = 0.5,
        prompt_max_frac: float = 0.3,
        loss_on_prompt: bool = True,
        mel_mean: float = 0.0,
        mel_std: float = 1.0,
    ) -> None:
        super().__init__()
        for name, value in {"prompt_prob": prompt_prob, "prompt_max_frac": prompt_max_frac}.items():
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"bad configuration value {name}={value}: expected a number in [0, 1]")
        for name, value in {"token_rate": token_rate, "mel_rate": mel_rate, "mel_std": mel_std}.items():
            if not value > 0:
                raise ConfigError(f"bad configuration value {name}={value}: expected a number > 0")
        if estimator.n_mels != n_mels:
            raise ConfigError(f"bad configuration value estimator.n_mels={estimator.n_mels}: expected {n_mels}")
        self.encoder = encoder
        self.estimator = estimator
        self.speaker_proj = nn.Linear(speaker_dim, n_mels)
        self.cfm = CFM(sigma_min, drop_prob, train_schedule)
        self.n_mels, self.speaker_dim = n_mels, speaker_dim
        self.token_rate, self.mel_rate = token_rate, mel_rate
        self.prompt_prob, self.prompt_max_frac, self.loss_on_prompt = prompt_prob, prompt_max_frac, loss_on_prompt
        # buffers: a checkpoint carries the standardisation it was trained with
        self.register_buffer("mel_mean", torch.tensor(float(mel_mean)))
        self.register_buffer("mel_std", torch.tensor(float(mel_std)))

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part and in total."""
        parts = {"encoder": self.encoder, "estimator": self.estimator, "speaker_proj": self.speaker_proj}
        counts = {k: sum(p.numel() for p in m.parameters()) for k, m in parts.items()}
        return {**counts, "total": sum(counts.values())}

    def frames_for(self, token_lens: Tensor) -> Tensor:
        """Mel frames ``(B,)`` spanned by ``token_lens`` tokens at ``token_rate`` (at least 1)."""
        return torch.round(token_lens.float() * (self.mel_rate / self.token_rate)).long().clamp(min=1)

    def _speaker(self, speaker: Tensor | None, batch: int, ref: Tensor) -> Tensor:
        """Speaker embeddings ``(B, speaker_dim)`` -> ``(B, n_mels)``; None -> zeros (no speaker condition)."""
        if speaker is None:
            return ref.new_zeros(batch, self.n_mels)
        if speaker.shape != (batch, self.speaker_dim):
            raise ValueError(f"speaker: expected shape ({batch}, {self.speaker_dim}), got {tuple(speaker.shape)}")
        return self.speaker_proj(F.normalize(speaker.to(ref.dtype), dim=-1))

    def forward(
        self, speech_tokens: Tensor, speech_token_lens: Tensor, mel: Tensor, mel_lens: Tensor, speaker: Tensor
    ) -> StepOutput:
        """Named losses and stats of a training batch.

        Args:
            speech_tokens: ``(B, N)`` token ids (padding: any value); speech_token_lens: ``(B,)``.
            mel: ``(B, n_mels, T)`` log-mel, ``T >= max(mel_lens)``; mel_lens: ``(B,)``.
            speaker: ``(B, speaker_dim)`` speaker embeddings.
        Returns:
            loss ``flow`` (the masked MSE of the estimated velocity) and stat ``prompt_frames`` (the share of valid
            frames given as prompt).
        """
        if mel.shape[1] != self.n_mels:
            raise ValueError(f"mel: expected (B, {self.n_mels}, T), got {tuple(mel.shape)}")
        check_lengths(speech_token_lens=speech_token_lens, mel_lens=mel_lens)
        mu, mask = self.encoder(speech_tokens, speech_token_lens, mel_lens)
        x1 = (mel[:, :, : mask.shape[-1]] - self.mel_mean) / self.mel_std * mask
        batch = x1.shape[0]
        use = (torch.rand(batch, device=x1.device) < self.prompt_prob).float()
        longest = torch.floor(mel_lens.float() * self.prompt_max_frac) + 1  # CosyVoice: randint(0, int(0.3 T))
        prompt_lens = (torch.floor(torch.rand(batch, device=x1.device) * longest) * use).long()
        prompt = sequence_mask(prompt_lens, mask.shape[-1]) * mask
        loss_mask = mask if self.loss_on_prompt else mask - prompt
        losses = self.cfm.loss(x1, mask, mu, self._speaker(speaker, batch, x1), x1 * prompt, self.estimator, loss_mask)
        share = float(prompt.sum() / mask.sum())
        return StepOutput({"flow": losses["flow_mse"]}, {"prompt_frames": share})

    @torch.no_grad()
    def generate(
        self,
        tokens: Tensor,
        token_lens: Tensor,
        prompt_tokens: Tensor | None = None,
        prompt_mel: Tensor | None = None,
        speaker: Tensor | None = None,
        steps: int = 10,
        guidance: float = 1.0,
        schedule: str = "cosine",
        *,
        frames: int | Tensor | None = None,
        prompt_token_lens: Tensor | None = None,
        prompt_mel_lens: Tensor | None = None,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Synthesise the mel of ``tokens`` in the voice of the prompt / speaker.

        Args:
            tokens: ``(B, N)`` speech tokens to speak; token_lens: ``(B,)``.
            prompt_tokens: ``(B, P)`` tokens of the prompt audio, prompt_mel: its log-mel ``(B, n_mels, M)``
                (both or neither); their lengths default to the full widths.
            speaker: ``(B, speaker_dim)`` or None; steps, guidance, schedule: the Euler solver (see :class:`CFM`).
            frames: output frames per sample (int or ``(B,)``); default :meth:`frames_for` ``(token_lens)``.
            temperature, generator: scale and seed of the starting noise.
        Returns:
            log-mel ``(B, n_mels, max(frames))`` of the part after the prompt; frames past a sample's own length
            are zero padding.
        """
        batch, device = tokens.shape[0], tokens.device
        if (prompt_tokens is None) != (prompt_mel is None):
            raise ValueError("prompt_tokens and prompt_mel go together: give both or neither")
        out_lens = self.frames_for(token_lens) if frames is None else torch.as_tensor(frames, device=device)
        out_lens = out_lens.expand(batch).long() if out_lens.dim() == 0 else out_lens.long()
        check_lengths(token_lens=token_lens, frames=out_lens)
        if prompt_tokens is None:
            prompt_tokens, prompt_mel = tokens.new_zeros(batch, 0), tokens.new_zeros(batch, self.n_mels, 0).float()
        p_lens = _lengths(prompt_token_lens, prompt_tokens.shape[1], batch, device)
        m_lens = _lengths(prompt_mel_lens, prompt_mel.shape[2], batch, device)
        all_tokens, all_lens = _concat(prompt_tokens, p_lens, tokens, token_lens)
        total = m_lens + out_lens
        mask = sequence_mask(total)
        j = torch.arange(mask.shape[-1], device=device)[None].expand(batch, -1)
        in_prompt = j < m_lens[:, None]
        pos_prompt = interpolation_positions(p_lens, m_lens, mask.shape[-1])
        pos_target = _shift(interpolation_positions(token_lens, out_lens, mask.shape[-1]), m_lens)
        positions = torch.where(in_prompt, pos_prompt, p_lens[:, None].float() + pos_target)
        mu = self.encoder.regulate(self.encoder.encode(all_tokens, all_lens), positions, mask)
        cond = torch.zeros_like(mu)
        width = min(prompt_mel.shape[2], mask.shape[-1])
        cond[:, :, :width] = (prompt_mel[:, :, :width].to(mu.dtype) - self.mel_mean) / self.mel_std
        cond = cond * in_prompt.unsqueeze(1) * mask
        spks = self._speaker(speaker, batch, mu)
        solver = {"steps": steps, "schedule": schedule, "guidance": guidance, "temperature": temperature}
        x = self.cfm.sample(mu, mask, spks, cond, self.estimator, **solver, generator=generator)
        x = x * self.mel_std + self.mel_mean
        width = int(out_lens.max())
        idx = (m_lens[:, None] + torch.arange(width, device=device)[None]).clamp(max=mask.shape[-1] - 1)
        out = torch.gather(x, 2, idx.unsqueeze(1).expand(-1, self.n_mels, -1))
        return out * sequence_mask(out_lens, width)


def _lengths(lens: Tensor | None, width: int, batch: int, device: torch.device) -> Tensor:
    """Given lengths ``(B,)``, or the full ``width`` for every sample."""
    return torch.full((batch,), width, device=device, dtype=torch.long) if lens is None else lens.long().to(device)


def _concat(a: Tensor, a_lens: Tensor, b: Tensor, b_lens: Tensor) -> tuple[Tensor, Tensor]:
    """Per-sample concatenation of the valid parts of ``a`` ``(B, P)`` and ``b`` ``(B, N)`` -> ``(B, L)``, lengths."""
    lens = a_lens + b_lens
    k = torch.arange(int(lens.max()), device=b.device)[None].expand(b.shape[0], -1)
    from_b = torch.gather(b, 1, (k - a_lens[:, None]).clamp(0, b.shape[1] - 1))
    if a.shape[1] == 0:
        return from_b, lens
    from_a = torch.gather(a, 1, k.clamp(max=a.shape[1] - 1))
    return torch.where(k < a_lens[:, None], from_a, from_b), lens


def _shift(values: Tensor, offsets: Tensor) -> Tensor:
    """``values`` ``(B, T)`` moved right by ``offsets[b]`` frames (``out[b, j] = values[b, j - offsets[b]]``)."""
    j = torch.arange(values.shape[1], device=values.device)[None] - offsets[:, None]
    return torch.gather(values, 1, j.clamp(0, values.shape[1] - 1))


#: ``model`` keys that ``null`` leaves to the data (set by :func:`fill_from_data` when training starts)
FROM_DATA = ("encoder.vocab_size", "token_rate", "mel_mean", "mel_std")


def fill_from_data(flow_cfg: Any, **values: float) -> Any:
    """A copy of the ``flow`` group whose ``model`` keys of :data:`FROM_DATA` that are null take ``values``
    (``vocab_size``, ``token_rate``, ``mel_mean``, ``mel_std``); set keys stay as the user wrote them."""
    from cstoolkit.train.build import fill_from_data as fill

    return fill(flow_cfg, FROM_DATA, **values)


def build_flow_model(flow_cfg: Any) -> FlowModel:
    """The :class:`FlowModel` of a ``conf/flow`` group (its ``model:`` node, built with Hydra's ``instantiate``)."""
    from cstoolkit.train.build import build_model

    return build_model(flow_cfg, "flow", FlowModel, FROM_DATA, "cstk train-flow")
