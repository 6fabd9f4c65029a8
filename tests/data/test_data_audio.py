from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from data_helpers import tone, write_m4a

from cstoolkit.data.audio import duration_of, load_audio, resample, trim_silence, write_audio
from cstoolkit.errors import InputFileError


def test_m4a_decodes_to_16k_mono(tmp_path: Path):
    path = write_m4a(tmp_path / "x.m4a", 1.5)
    samples, rate = load_audio(path, 16000)
    assert rate == 16000 and samples.ndim == 1 and samples.dtype == np.float32
    assert abs(samples.size / 16000 - 1.5) < 0.05  # AAC priming/padding adds a few ms at most
    assert 0.1 < np.abs(samples).max() <= 1.0


def test_stereo_wav_is_mixed_down_and_resampled(tmp_path: Path):
    path = tmp_path / "s.wav"
    left = tone(1.0, 22050)
    sf.write(path, np.stack([left, left], axis=1), 22050)
    samples, rate = load_audio(path, 16000)
    assert rate == 16000 and samples.shape == (16000,)
    assert np.allclose(samples[1000:15000].std(), left.std(), rtol=0.05)


def test_corrupt_and_missing_audio_raise_input_file_error(tmp_path: Path):
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(InputFileError, match=r"bad\.m4a"):
        load_audio(bad, 16000)
    with pytest.raises(InputFileError, match="not found"):
        load_audio(tmp_path / "none.flac")


def test_write_audio_flac_round_trip(tmp_path: Path):
    path = tmp_path / "o.flac"
    write_audio(path, tone(0.5, 16000), 16000)
    assert abs(duration_of(path) - 0.5) < 1e-3
    assert sf.info(path).format == "FLAC"


def test_resample_keeps_duration():
    assert resample(np.zeros(22050, np.float32), 22050, 16000).shape == (16000,)


def test_trim_silence_cuts_both_ends():
    signal = np.concatenate([np.zeros(8000), tone(1.0, 16000), np.zeros(8000)]).astype(np.float32)
    trimmed = trim_silence(signal, top_db=40)
    assert 16000 <= trimmed.size <= 16000 + 1024
