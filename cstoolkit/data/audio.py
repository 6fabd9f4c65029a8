"""Audio I/O: soundfile for wav/flac/ogg/mp3, PyAV (bundled FFmpeg) for m4a/AAC and anything soundfile refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from cstoolkit.core.atomic import atomic_path
from cstoolkit.errors import InputFileError

#: extensions soundfile (libsndfile) reads; others go straight to PyAV
SOUNDFILE_EXTENSIONS = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif"}


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average channels of a (frames, channels) array; a 1-D array is returned as is."""
    return samples.mean(axis=1) if samples.ndim == 2 else samples


def resample(samples: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling (soxr, high quality) of a mono float signal."""
    if orig_sr == target_sr:
        return samples.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(samples.astype(np.float32), orig_sr, target_sr, quality="HQ").astype(np.float32)


def trim_silence(samples: np.ndarray, top_db: float, frame: int = 512, hop: int = 128) -> np.ndarray:
    """Cut leading/trailing frames whose RMS is more than ``top_db`` below the loudest frame (librosa's rule)."""
    if samples.size < frame:
        return samples
    frames = np.lib.stride_tricks.sliding_window_view(samples, frame)[::hop]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    loud = np.flatnonzero(20 * np.log10(np.maximum(rms, 1e-10) / max(rms.max(), 1e-10)) > -top_db)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] * hop : min(samples.size, loud[-1] * hop + frame)]


def decode_pyav(path: str | Path, target_sr: int | None = None) -> tuple[np.ndarray, int]:
    """Decode the first audio stream of any FFmpeg-readable file to mono float32 (resampled by FFmpeg if asked)."""
    import av

    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputFileError(path, "no audio stream")
            stream = container.streams.audio[0]
            rate = target_sr or stream.codec_context.sample_rate
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except InputFileError:
        raise
    except (av.FFmpegError, ValueError, OSError) as err:
        raise InputFileError(path, f"cannot decode audio: {type(err).__name__}: {err}") from None
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise InputFileError(path, "audio decodes to zero samples")
    return samples, rate


def load_audio(path: str | Path, target_sr: int | None = None) -> tuple[np.ndarray, int]:
    """Read any audio file as mono float32 in [-1, 1], resampled to ``target_sr`` when given.

    Raises InputFileError for a missing, empty or undecodable file and for NaN or infinite samples (float files).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "audio file not found")
    if path.suffix.lower() in SOUNDFILE_EXTENSIONS:
        try:
            samples, rate = sf.read(str(path), dtype="float32", always_2d=False)
        except (sf.LibsndfileError, RuntimeError):
            samples, rate = decode_pyav(path)
    else:
        samples, rate = decode_pyav(path, target_sr)
    samples = to_mono(np.asarray(samples, dtype=np.float32))
    if samples.size == 0:
        raise InputFileError(path, "audio file holds zero samples")
    if not np.isfinite(samples).all():
        raise InputFileError(path, "audio holds NaN or infinite samples")
    if target_sr is not None and rate != target_sr:
        samples, rate = resample(samples, rate, target_sr), target_sr
    return samples, rate


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int, audio_format: str = "flac") -> None:
    """Write mono float samples as 16-bit PCM (FLAC by default) atomically."""
    clipped = np.clip(samples, -1.0, 1.0)
    with atomic_path(path, suffix=f".{audio_format}") as tmp:
        sf.write(str(tmp), clipped, sample_rate, subtype="PCM_16", format=audio_format.upper())


def duration_of(path: str | Path) -> float:
    """Duration in seconds from the file header (soundfile formats only)."""
    info = sf.info(str(path))
    return info.frames / info.samplerate
