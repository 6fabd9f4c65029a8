"""Speaker embeddings: resemblyzer's d-vector (GE2E LSTM, 256-d, weights shipped in the pip package).

Each waveform is resampled to 16 kHz, volume-normalised and stripped of long silences (resemblyzer's
``preprocess_wav``), cut into 1.6 s partials, and the L2-normalised mean of the partials' embeddings is returned,
as ``VoiceEncoder.embed_utterance`` does. Partials all have the same length, so the partials of a whole batch of
utterances go through the LSTM in one call. Embeddings are non-negative (ReLU) and unit-norm: cosines lie in
[0, 1] and different speakers also score high, so thresholds must be calibrated on one's own speakers.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence

import numpy as np

from cstoolkit.data.audio import resample
from cstoolkit.errors import CstkError, ModelNotAvailableError

INSTALL_HINT = "run scripts/setup_env.sh (pip install resemblyzer==0.1.4 webrtcvad-wheels)"


def _import_resemblyzer():
    """The resemblyzer package, or one clear error naming what to install."""
    try:
        with warnings.catch_warnings():  # it imports scipy.ndimage.morphology (deprecated namespace)
            warnings.simplefilter("ignore", DeprecationWarning)
            import resemblyzer  # imports webrtcvad too
    except ImportError as err:
        raise ModelNotAvailableError(f"speaker embeddings need resemblyzer ({err}): {INSTALL_HINT}") from None
    return resemblyzer


class SpeakerEncoder:
    """Batched resemblyzer d-vectors from waveforms of any sample rate.

    Args:
        device: torch device of the LSTM.
        rate: partial utterances per second (resemblyzer's default 1.3).
        min_coverage: a last partial shorter than this share of 1.6 s is dropped (default 0.75).
    """

    def __init__(self, device: str = "cpu", rate: float = 1.3, min_coverage: float = 0.75) -> None:
        resemblyzer = _import_resemblyzer()
        with contextlib.redirect_stdout(io.StringIO()):
            self.model = resemblyzer.VoiceEncoder(device, verbose=False)
        self.model.eval()
        self.sample_rate = int(resemblyzer.sampling_rate)
        self.dim = int(self.model.linear.out_features)
        self.rate, self.min_coverage = rate, min_coverage

    def partials(self, wave: np.ndarray, sample_rate: int) -> np.ndarray:
        """The 40-bin mel partials ``(P, 160, 40)`` of one mono waveform."""
        from resemblyzer.audio import normalize_volume, preprocess_wav, wav_to_mel_spectrogram
        from resemblyzer.hparams import audio_norm_target_dBFS

        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim != 1 or wave.size == 0 or not np.any(wave) or not np.all(np.isfinite(wave)):
            raise CstkError("speaker embedding: expected a non-silent, finite mono waveform")
        wave = resample(wave, sample_rate, self.sample_rate)
        trimmed = preprocess_wav(wave)
        if trimmed.size == 0:  # the VAD found no speech: keep the whole (volume-normalised) signal
            trimmed = normalize_volume(wave, audio_norm_target_dBFS, increase_only=True)
        wave_slices, mel_slices = self.model.compute_partial_slices(trimmed.size, self.rate, self.min_coverage)
        trimmed = np.pad(trimmed, (0, max(0, wave_slices[-1].stop - trimmed.size)))
        mel = wav_to_mel_spectrogram(trimmed)
        return np.stack([mel[s] for s in mel_slices])

    def __call__(self, waves: Sequence[np.ndarray], sample_rates: int | Sequence[int]) -> np.ndarray:
        """Embeddings ``(B, dim)`` float32, L2-normalised, of ``B`` mono waveforms at their sample rates."""
        import torch

        rates = [sample_rates] * len(waves) if isinstance(sample_rates, int) else list(sample_rates)
        parts = [self.partials(w, sr) for w, sr in zip(waves, rates, strict=True)]
        counts = [len(p) for p in parts]
        with torch.no_grad():
            mels = torch.from_numpy(np.concatenate(parts)).to(self.model.device)
            partial = self.model(mels).cpu()  # (sum P, dim), each row unit-norm
        means = torch.stack([chunk.mean(0) for chunk in partial.split(counts)])
        return torch.nn.functional.normalize(means, dim=-1).numpy().astype(np.float32)

    def embed(self, wave: np.ndarray, sample_rate: int) -> np.ndarray:
        """The embedding ``(dim,)`` of one waveform."""
        return self([wave], sample_rate)[0]
