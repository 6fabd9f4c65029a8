"""Waveform effects for augmentation and the robustness conditions: speed, noise, reverberation, gain, telephone band.

Every function takes a mono float32 waveform of shape ``(n,)`` and, where it draws random numbers, an explicit
``numpy.random.Generator``; nothing reads global random state, so a run reproduces from its seeds. Speed
perturbation resamples with ``torchaudio.functional.resample`` (on this 2-core CPU 0.5-0.6 ms per 5 s of audio,
against 0.9-1.3 ms for soxr HQ and 1.0 ms for librosa's default soxr_hq); other rate changes use the toolkit's
:func:`cstoolkit.data.audio.resample` (soxr). Band filters are scipy's, convolution is
``scipy.signal.fftconvolve``. What no installed library provides (coloured noise by spectral shaping, adding noise
at an SNR measured on the active part of a speech signal, a room impulse response without a room simulator) is
written here in a few lines.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from cstoolkit.data.audio import resample

#: generated noise colours and their spectral exponent alpha (power spectral density ~ 1 / f**alpha)
NOISE_COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
#: speed factors are rounded to fractions with at most this denominator (resampling kernel size)
MAX_SPEED_DENOMINATOR = 100
#: decay of the amplitude over one RT60: 60 dB, as a natural-log factor (ln(10**3))
_LN_1000 = float(np.log(1000.0))


def speed_perturb(wav: np.ndarray, sr: int, factor: float) -> np.ndarray:
    """Kaldi/ESPnet speed perturbation: play the signal ``factor`` times faster, so duration changes by
    ``1 / factor`` and pitch by ``factor`` (sox ``speed``). Returns ``ceil(n / factor)`` samples.

    Implemented as resampling from ``sr * factor`` to ``sr``: the samples are re-read as if recorded at that rate.
    The factor is taken as a fraction with a denominator of at most 100 (0.9 = 9/10), which keeps torchaudio's
    polyphase kernel small; ``sr`` only matters through that ratio.
    """
    import torch
    import torchaudio.functional as AF

    if factor <= 0:
        raise ValueError(f"speed factor must be positive, got {factor}")
    ratio = Fraction(factor).limit_denominator(MAX_SPEED_DENOMINATOR)
    wav = np.asarray(wav, dtype=np.float32)
    if ratio == 1 or wav.size == 0:
        return wav.copy()
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(wav)), ratio.numerator, ratio.denominator)
    return out.numpy().astype(np.float32, copy=False)


def coloured_noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """White, pink or brown Gaussian noise of ``n`` samples and unit RMS, float32.

    Spectral shaping: the spectrum of white Gaussian noise is multiplied by ``f ** (-alpha / 2)`` (power
    ``1 / f ** alpha``; alpha 0, 1, 2), the DC bin set to zero, and transformed back. numpy/scipy have no coloured
    noise generator, hence these lines.
    """
    if kind not in NOISE_COLOURS:
        raise ValueError(f"unknown noise colour {kind!r}; choose one of {', '.join(NOISE_COLOURS)}")
    if n <= 0:
        return np.zeros(0, np.float32)
    white = rng.standard_normal(n)
    alpha = NOISE_COLOURS[kind]
    if alpha == 0.0:
        noise = white
    else:
        from scipy import fft  # pocketfft with SIMD: 3x numpy.fft's speed here

        spectrum = fft.rfft(white)
        freqs = np.fft.rfftfreq(n)
        scale = np.zeros_like(freqs)
        scale[1:] = freqs[1:] ** (-alpha / 2.0)
        noise = fft.irfft(spectrum * scale, n=n)
    rms = np.sqrt(np.mean(noise**2))
    return (noise / rms if rms > 0 else noise).astype(np.float32)


def active_power(wav: np.ndarray, frame: int = 400, floor_db: float = 40.0) -> float:
    """Mean power of the frames of ``wav`` that hold signal: non-overlapping frames whose power is within
    ``floor_db`` of the loudest frame (a simple form of ITU-T P.56 active speech level). 0.0 for silence.

    Pauses would otherwise lower the measured speech power and make a stated SNR too optimistic.
    """
    x = np.asarray(wav, dtype=np.float64)
    if x.size == 0:
        return 0.0
    usable = max(1, x.size // frame) * frame if x.size >= frame else x.size
    frames = x[:usable].reshape(-1, min(frame, usable))
    power = np.mean(frames**2, axis=1)
    top = power.max()
    if top <= 0.0:
        return 0.0
    return float(power[power >= top * 10.0 ** (-floor_db / 10.0)].mean())


def fit_length(noise: np.ndarray, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``noise`` looped (tiled) or cropped to ``n`` samples, starting at a random offset when ``rng`` is given."""
    noise = np.asarray(noise, dtype=np.float32)
    if noise.size == 0:
        raise ValueError("noise signal is empty")
    start = int(rng.integers(noise.size)) if rng is not None else 0
    reps = -(-(start + n) // noise.size)
    return np.tile(noise, reps)[start : start + n] if reps > 1 else noise[start : start + n].copy()


def add_noise(
    wav: np.ndarray, noise: np.ndarray, snr_db: float, frame: int = 400, floor_db: float = 40.0
) -> np.ndarray:
    """``wav`` plus ``noise`` scaled to ``snr_db``: 10 log10(active power of wav / mean power of the noise).

    The noise is looped or cropped to the length of ``wav`` (from its start; crop at random with
    :func:`fit_length` first). Silence (no active power) is returned unchanged. ValueError for a silent noise.
    """
    wav = np.asarray(wav, dtype=np.float32)
    noise = fit_length(noise, wav.size)
    signal_power = active_power(wav, frame, floor_db)
    if signal_power == 0.0 or wav.size == 0:
        return wav.copy()
    noise_power = float(np.mean(np.asarray(noise, dtype=np.float64) ** 2))
    if noise_power <= 0.0:
        raise ValueError("noise signal is silent: cannot scale it to an SNR")
    scale = np.sqrt(signal_power / (noise_power * 10.0 ** (snr_db / 10.0)))
    return (wav + scale * noise).astype(np.float32)


def room_impulse_response(
    sr: int,
    rt60: float,
    rng: np.random.Generator,
    drr_db: float = 3.0,
    early_reflections: int = 6,
    early_window_s: float = 0.05,
) -> np.ndarray:
    """A synthetic room impulse response of ``rt60`` seconds (time for a 60 dB decay), float32, unit energy.

    A statistical model rather than a room simulation: a direct-path impulse at sample 0, ``early_reflections``
    sparse impulses of random sign in the first ``early_window_s`` seconds, and a tail of Gaussian noise whose
    amplitude decays as ``exp(-ln(1000) t / rt60)`` (60 dB over rt60; Polack's model), scaled so that the direct
    path is ``drr_db`` above the reflections and tail together. It is what image-source simulators produce on
    average, without a room geometry. pyroomacoustics is not a dependency of the toolkit (it installs as a wheel:
    ``pip install pyroomacoustics``; its RIRs can be used with :func:`reverberate` in the same way).
    """
    if rt60 <= 0:
        raise ValueError(f"rt60 must be positive, got {rt60}")
    length = max(2, round(rt60 * sr))
    t = np.arange(length) / sr
    envelope = np.exp(-_LN_1000 * t / rt60)
    reverb = rng.standard_normal(length) * envelope
    reverb[0] = 0.0
    early_end = min(length - 1, max(1, int(early_window_s * sr)))
    if early_reflections > 0 and early_end > 1:
        where = rng.integers(1, early_end + 1, size=early_reflections)
        signs = rng.choice([-1.0, 1.0], size=early_reflections)
        reverb[where] += signs * envelope[where] * 3.0
    reverb_energy = float(np.sum(reverb**2))
    rir = np.zeros(length, np.float64)
    rir[0] = 1.0
    if reverb_energy > 0:
        rir += reverb * np.sqrt(10.0 ** (-drr_db / 10.0) / reverb_energy)
    return (rir / np.sqrt(np.sum(rir**2))).astype(np.float32)


def reverberate(wav: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``wav`` convolved with ``rir`` (FFT convolution), cut to the input length (aligned on the RIR's strongest
    tap, the direct path) and scaled back to the input's RMS level."""
    from scipy.signal import fftconvolve

    wav = np.asarray(wav, dtype=np.float32)
    if wav.size == 0:
        return wav.copy()
    rir = np.asarray(rir, dtype=np.float32)
    delay = int(np.argmax(np.abs(rir)))
    wet = fftconvolve(wav, rir)[delay : delay + wav.size]  # float32 FFTs: half the time of float64
    rms_in = np.sqrt(np.mean(wav.astype(np.float64) ** 2))
    rms_out = np.sqrt(np.mean(wet.astype(np.float64) ** 2))
    return (wet * (rms_in / rms_out) if rms_out > 0 else wet).astype(np.float32)


def apply_gain(wav: np.ndarray, gain_db: float) -> np.ndarray:
    """``wav`` times ``10 ** (gain_db / 20)`` (no clipping here: samples may leave [-1, 1])."""
    return (np.asarray(wav, dtype=np.float32) * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)


def telephone_band(
    wav: np.ndarray, sr: int, low_hz: float = 300.0, high_hz: float = 3400.0, phone_sr: int = 8000, order: int = 4
) -> np.ndarray:
    """Narrow-band telephone speech at the input rate: resampled to ``phone_sr`` (8 kHz), band-passed to
    ``low_hz``-``high_hz`` (Butterworth of ``order``, zero-phase), resampled back to ``sr``; same length."""
    from scipy.signal import butter, sosfiltfilt

    wav = np.asarray(wav, dtype=np.float32)
    narrow = resample(wav, sr, phone_sr).astype(np.float64)
    sos = butter(order, [low_hz, high_hz], btype="bandpass", fs=phone_sr, output="sos")
    padlen = min(narrow.size - 1, 3 * (2 * len(sos) + 1))
    band = sosfiltfilt(sos, narrow, padlen=max(0, padlen)) if narrow.size > 1 else narrow
    back = resample(band.astype(np.float32), phone_sr, sr)
    out = np.zeros(wav.size, np.float32)
    out[: min(wav.size, back.size)] = back[: wav.size]
    return out
