"""Speaker augmentation for the flow model: warping the frequency axis of a log-mel, a new voice per sample.

A demo corpus has a handful of speakers; a flow model trained on them learns to recognise those voices instead of
copying the voice of its prompt, and new speakers come out as one of the known ones. Scaling every frequency by a
factor ``alpha`` (vocal tract length perturbation, Jaitly & Hinton 2013) moves formants and harmonics together, so
each warped utterance sounds like another speaker while its content and timing (the speech tokens) stay the same.
Done on the log-mel in the training step, the target and its prompt prefix get the same warp. No installable
library warps a mel spectrogram (torchaudio and audiomentations warp waveforms or linear spectrograms), hence
these few lines.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def _hz_to_slaney(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa ``htk=False``): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    linear = f / (200.0 / 3.0)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), linear)


def _slaney_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3.0))


def mel_centers(n_mels: int, fmin: float, fmax: float) -> Tensor:
    """Centre frequencies (Hz) ``(n_mels,)`` of the Slaney mel filters the features stage uses."""
    points = np.linspace(_hz_to_slaney(fmin), _hz_to_slaney(fmax), n_mels + 2)
    return torch.tensor(_slaney_to_hz(points)[1:-1], dtype=torch.float32)


def warp_log_mel(mel: Tensor, alpha: Tensor, centers: Tensor) -> Tensor:
    """Frequency-warped log-mels: bin ``k`` of the output takes the value the input has at ``centers[k] / alpha``
    (linear interpolation between bins; clamped at the edges).

    Args:
        mel: ``(B, T, n_mels)`` log-mel, frames first; alpha: ``(B,)`` warp factors (1: unchanged, > 1: up).
        centers: ``(n_mels,)`` bin centre frequencies (:func:`mel_centers`).
    Returns:
        ``(B, T, n_mels)``.
    """
    n = centers.shape[0]
    centers = centers.to(mel.device)
    source = centers[None, :] / alpha[:, None].to(centers.dtype)  # (B, n_mels) Hz
    idx = torch.searchsorted(centers, source.clamp(centers[0], centers[-1]).contiguous()).clamp(1, n - 1)
    lo_f, hi_f = centers[idx - 1], centers[idx]
    frac = ((source.clamp(centers[0], centers[-1]) - lo_f) / (hi_f - lo_f)).clamp(0.0, 1.0)
    lo = (idx - 1)[:, None, :].expand(-1, mel.shape[1], -1)
    hi = idx[:, None, :].expand(-1, mel.shape[1], -1)
    frac = frac[:, None, :].to(mel.dtype)
    return torch.gather(mel, 2, lo) * (1.0 - frac) + torch.gather(mel, 2, hi) * frac
