"""A voice prompt through a real speech tokenizer: ``cstk resynthesize --tokens FILE --prompt AUDIO`` end to end (a
real ``cstk`` process), and
what :meth:`FlowSynthesizer.prompt_from_wave` makes of a waveform (its tokens, log-mel and d-vector; a long prompt
is cut to its first seconds).

The tokenizer is the tiny one of the tokenizer tests trained from scratch for one epoch on 8 toy utterances (its
tokens mean little, but they are what the stage really computes); the flow model is trained on the synthetic data
directory with that tokenizer's codebook and token rate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1]))
from tts_helpers import MEL_RATE, SMALL_SPEAKERS, flow_config, write_flow_dir

ROOT = Path(__file__).resolve().parents[3]

TOKENIZER = [
    "asr=tiny",
    "asr.encoder.num_blocks=2",
    "tokenizer=tiny",
    "tokenizer.train.max_epochs=1",
    "tokenizer.init_from_asr=false",
    "units.spm_vocab_size=30",
    "augment=none",
    "trainer.enable_progress_bar=false",
    "trainer.num_threads=1",
]


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    """The toy corpus (16 kHz audio) and a tokenizer trained on it from scratch (``<toy>/tokenizer``)."""
    from cstoolkit.asr.synthetic import make_toy_corpus
    from cstoolkit.config import load_config
    from cstoolkit.tokenizer.train import train_tokenizer

    cfg = load_config(TOKENIZER)
    root = make_toy_corpus(tmp_path_factory.mktemp("toy"), cfg.features.fbank, 8, seed=1)
    train_tokenizer(root / "train", root / "dev", root / "units", root / "tokenizer", cfg)
    return root


@pytest.fixture(scope="module")
def exp(toy) -> Path:
    from cstoolkit.tts.flow.train import train_flow

    info = json.loads((toy / "tokenizer" / "tokenizer.json").read_text())
    vocab, rate = int(info["codebook_size"]), float(info["token_rate_hz"])
    data = write_flow_dir(toy / "flow_data", SMALL_SPEAKERS, vocab=vocab, token_rate=rate, n_tokens=(4, 6))
    train_flow(data, data, toy / "tokenizer", toy / "flow", flow_config("flow.train.max_epochs=1"))
    return toy / "flow"


@pytest.fixture(scope="module")
def synth(exp):
    from cstoolkit.tts.flow.synthesis import FlowSynthesizer

    return FlowSynthesizer.load(exp)


def toy_wave(toy: Path, seconds: float = 0.5) -> tuple[np.ndarray, int, Path]:
    """The first toy utterance of at least ``seconds``."""
    for path in sorted((toy / "train" / "wav").glob("*.wav")):
        wave, rate = sf.read(path, dtype="float32")
        if wave.size >= seconds * rate:
            return wave, rate, path
    raise AssertionError(f"no toy utterance of {seconds} s")


def test_tokens_are_spoken_in_the_voice_of_a_prompt_from_the_command_line(exp, toy, tmp_path) -> None:
    _, _, prompt = toy_wave(toy, 0.6)
    tokens = tmp_path / "tokens"
    tokens.write_text("first 1 2 3 4 5 6\nsecond 7 0 31\n")
    out = tmp_path / "out"
    cmd = [
        str(Path(sys.executable).parent / "cstk"),
        "resynthesize",
        "--model",
        str(exp),
        "--tokens",
        str(tokens),
        "--prompt",
        str(prompt),
        "--out-dir",
        str(out),
        "--steps",
        "2",
        "--threads",
        "1",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == f"2 files in {out / 'wav'}\n" and "Traceback" not in done.stderr
    assert " error" not in done.stderr.lower(), done.stderr[-3000:]
    for utt, n in (("first", 6), ("second", 3)):
        wave, rate = sf.read(out / "wav" / f"{utt}.wav", dtype="float32")
        assert rate == 22050 and len(wave) == round(n * MEL_RATE / 25.0) * 256 and np.isfinite(wave).all()
    assert sorted(line.split()[0] for line in (out / "wav.scp").read_text().splitlines()) == ["first", "second"]
    info = json.loads((out / "synthesis.json").read_text())
    assert info["prompt"] == str(prompt.resolve()) and info["utterances"] == 2 and info["kind"] == "resynthesis"


def test_a_prompt_is_its_tokens_mel_and_speaker_embedding(synth, toy) -> None:
    from cstoolkit.data.audio import resample
    from cstoolkit.data.features import hifigan_mel

    wave, rate, _ = toy_wave(toy, 0.6)
    prompt = synth.prompt_from_wave(wave, rate)
    assert prompt.tokens and prompt.tokens == synth.tokenizer.encode(wave, rate)
    assert all(0 <= t < int(synth.cfg.flow.model.encoder.vocab_size) for t in prompt.tokens)
    expected = hifigan_mel(resample(wave, rate, 22050), synth.mel_cfg)
    assert prompt.mel.shape == expected.shape and prompt.mel.shape[1] == 80
    np.testing.assert_allclose(prompt.mel, expected, rtol=1e-5, atol=1e-5)
    assert prompt.embedding.shape == (256,) and prompt.embedding.min() >= 0
    assert np.linalg.norm(prompt.embedding) == pytest.approx(1.0, abs=1e-4)
    speech, out_rate = synth.resynthesize([3, 1, 4, 1, 5], wave, rate)
    assert out_rate == 22050 and len(speech) == round(5 * MEL_RATE / 25.0) * 256 and np.isfinite(speech).all()


def test_a_long_prompt_is_cut_to_its_first_seconds(synth, toy) -> None:
    wave, rate, _ = toy_wave(toy, 0.6)
    high = float(synth.inference.max_prompt_seconds)
    long = np.tile(wave, int(np.ceil((high + 2) * rate / wave.size)))
    assert long.size > (high + 1) * rate
    prompt = synth.prompt_from_wave(long, rate)
    start = long[: int(high * rate)]
    assert prompt.tokens == synth.tokenizer.encode(start, rate)
    assert len(prompt.mel) == len(synth.prompt_from_wave(start, rate).mel)
    assert len(prompt.mel) == pytest.approx(high * MEL_RATE, abs=2)
