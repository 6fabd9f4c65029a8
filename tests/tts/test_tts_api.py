"""The text-to-speech Python API on tiny models trained on the toy corpus (tests/tts/t2s_fixtures.py ``tts_exp``): a
T2S model directory names its flow model, speaks a code-switched text in the voice of a prompt of any rate and
length, reports what it cannot speak, refuses texts with nothing speakable, and writes a synthesis folder from a
Kaldi text file."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from cstoolkit.data.audio import load_audio
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import InputFileError
from cstoolkit.tts.flow.synthesis import PromptError

RATE = 22050


@pytest.fixture(scope="module")
def tts(tts_exp):
    from cstoolkit.tts.api import TextToSpeech

    return TextToSpeech.load(tts_exp / "tts")


@pytest.fixture(scope="module")
def voice(tts_exp) -> tuple[np.ndarray, int]:
    """A real toy utterance of the dev speaker (16 kHz)."""
    wavs = read_kaldi_file(tts_exp / "dev" / "wav.scp")
    return load_audio(wavs[sorted(wavs)[0]])


def test_the_t2s_directory_names_its_flow_model(tts, tts_exp) -> None:
    info = json.loads((tts_exp / "tts" / "t2s.json").read_text())
    assert info["flow_dir"] == str((tts_exp / "flow").resolve())
    assert tts.flow_dir == (tts_exp / "flow").resolve() and tts.sample_rate == RATE
    assert tts.t2s.model.speaker_dim == 256


def test_a_flow_model_of_another_tokenizer_is_refused(tts_exp, tmp_path) -> None:
    from cstoolkit.tts.api import TextToSpeech

    other = tmp_path / "flow"
    shutil.copytree(tts_exp / "flow", other, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    info = json.loads((other / "flow.json").read_text())
    (other / "flow.json").write_text(json.dumps({**info, "codebook_size": info["codebook_size"] + 1}))
    with pytest.raises(InputFileError, match=r"t2s\.json: codebook_size .* same speech tokenizer"):
        TextToSpeech.load(tts_exp / "tts", flow_dir=other)
    with pytest.raises(InputFileError, match="not a trained flow model directory"):
        TextToSpeech.load(tts_exp / "tts", flow_dir=tmp_path / "nothing")


def test_synthesize_a_code_switched_sentence(tts, voice) -> None:
    wave, rate = tts.synthesize("我去 shopping mall", *voice, lang="zh-en")
    assert rate == RATE and wave.dtype == np.float32 and wave.ndim == 1 and np.isfinite(wave).all()
    assert wave.size > 0.1 * rate and np.abs(wave).max() > 0
    assert tts.seconds["t2s"] > 0 and tts.seconds["flow"] > 0 and tts.seconds["vocoder"] > 0


def test_a_prompt_of_another_rate_and_a_long_one_are_accepted(tts, voice, caplog) -> None:
    from cstoolkit.data.audio import resample

    wave, sr = voice
    low = resample(wave, sr, 8000)
    assert tts.synthesize("我去", low, 8000)[0].size > 0
    long = np.tile(wave, int(12 * sr / wave.size) + 1)  # over max_prompt_seconds (10 s): its start is used
    with caplog.at_level(logging.INFO, logger="cstoolkit.tts.flow.synthesis"):
        assert tts.synthesize("我去", long, sr)[0].size > 0
    assert any("first 10 s are the voice prompt" in r.getMessage() for r in caplog.records)


def test_what_cannot_be_spoken_is_reported(tts, voice, caplog) -> None:
    prompt = tts.prompt(*voice)
    with caplog.at_level(logging.WARNING, logger="cstoolkit.tts.api"):
        speech = tts.speak(["我去 今天"], [prompt], ["zh-en"])[0]  # 今天: not in the toy units
        odd = tts.speak(["mall"], [prompt], segments=[[{"lang": "fr", "text": "mall"}]])[0]
    assert speech.unknown_units == ["今", "天"] and speech.wave.size > 0
    assert odd.unknown_langs == ["fr"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("2 unit(s) unknown to the model, spoken as <unk>: 今 天" in m for m in messages)
    assert any("not trained on (read as unknown): fr" in m for m in messages)


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "empty text"),
        ("  ", "empty text"),
        ("!! ?", "no letter"),
        ("Ωμέγα", "every unit is unknown"),
        ("<en>mall", "not closed"),
    ],
)
def test_a_text_with_nothing_speakable_is_refused(tts, voice, text, why) -> None:
    from cstoolkit.tts.api import NothingToSpeakError

    with pytest.raises(NothingToSpeakError, match=why):
        tts.synthesize(text, *voice)


def test_silent_or_short_prompts_are_refused(tts, voice) -> None:
    with pytest.raises(PromptError, match="silent"):
        tts.synthesize("我去", np.zeros(16000, np.float32), 16000)
    with pytest.raises(PromptError, match=r"at least 0\.5 s"):
        tts.synthesize("我去", voice[0][:1000], voice[1])


def test_inline_language_tags_give_the_units_their_languages(tts) -> None:
    plain, segments = tts.read_text("<en>shopping mall</en> 我去")
    assert plain == "shopping mall 我去"
    front = tts.check_text(plain, None, segments)
    assert front.lang_source == "segments" and front.langs[-2:] == ["zh", "zh"] and front.langs[0] == "en"
    assert set(front.langs[:-2]) == {"en"}


def test_a_text_file_becomes_a_synthesis_folder(tts, voice, tmp_path) -> None:
    text = tmp_path / "text"
    text.write_text("u2 <en>coffee</en> 我去\nu1 我买东西 today 今天\n")
    out = tmp_path / "out"
    info = tts.synthesize_file(text, tts.prompt(*voice), out, lang="zh-en", prompt_name="voice")
    assert info["kind"] == "tts" and info["utterances"] == 2 and info["prompt"] == "voice"
    assert info["rtf"] > 0 and set(info["seconds"]) == {"t2s", "flow", "vocoder"}
    assert info["frontend"]["unknown_units"] == {"今": 1, "天": 1}
    assert sorted(p.name for p in (out / "wav").iterdir()) == ["u1.wav", "u2.wav"]
    assert read_kaldi_file(out / "text") == {"u1": "我买东西 today 今天", "u2": "coffee 我去"}
    assert read_kaldi_file(out / "utt2lang") == {"u1": "zh-en", "u2": "zh-en"}
    assert read_kaldi_file(out / "unknown_units") == {"u1": "今 天"}
    tokens = read_kaldi_file(out / "t2s_tokens")
    assert sorted(tokens) == ["u1", "u2"] and all(t.split() for t in tokens.values())
    json.loads((out / "synthesis.json").read_text())  # finished
    bad = tmp_path / "bad"
    bad.write_text("a 我去\nb !!\n")
    with pytest.raises(InputFileError, match=r"bad:2: b: nothing the model can speak"):
        tts.synthesize_file(bad, tts.prompt(*voice), tmp_path / "never")
    assert not (tmp_path / "never").exists()
