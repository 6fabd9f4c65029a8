"""Synthesis with a trained flow model directory: mels of the right length that depend on the seed, a data directory
resynthesised with same-speaker prompts, copy synthesis, and voice prompts refused before the tokenizer loads."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1]))
from tts_helpers import MEL_RATE, SMALL_SPEAKERS, TOKEN_RATE, VOCAB

from cstoolkit.errors import CstkError, InputFileError
from cstoolkit.tts.flow.synthesis import (
    FlowSynthesizer,
    Prompt,
    PromptError,
    choose_prompts,
    resynthesize_dir,
    vocode_dir,
)

HOP = 256


def read_lines(path: Path) -> dict[str, str]:
    return dict(line.split(maxsplit=1) for line in path.read_text().splitlines())


def tokens_of(data: Path) -> dict[str, list[int]]:
    return {utt: [int(t) for t in ids.split()] for utt, ids in read_lines(data / "speech_tokens").items()}


def frames(n_tokens: int) -> int:
    return round(n_tokens * MEL_RATE / TOKEN_RATE)


def prompt_of(data: Path, utt: str) -> Prompt:
    """The voice prompt of a data-directory utterance (its tokens, mel and d-vector), as resynthesize_dir makes it."""
    mel = kaldiio.load_mat(read_lines(data / "mel.scp")[utt])
    embedding = kaldiio.load_mat(read_lines(data / "utt_embed.scp")[utt])[0]
    return Prompt(tokens_of(data)[utt], np.array(mel, dtype=np.float32), np.array(embedding, dtype=np.float32))


@pytest.fixture(scope="module")
def synth(flow_exp) -> FlowSynthesizer:
    return FlowSynthesizer.load(flow_exp)


def test_the_model_directory_loads_with_its_trained_settings(synth, flow_exp) -> None:
    assert synth.sample_rate == 22050 and synth.vocoder.hop_length == HOP
    assert int(synth.cfg.flow.model.encoder.vocab_size) == VOCAB
    info = json.loads((flow_exp / "flow.json").read_text())
    assert float(synth.model.mel_mean) == pytest.approx(info["mel_mean"], rel=1e-6)
    assert synth.model.token_rate == pytest.approx(TOKEN_RATE)
    assert not synth.model.training


def test_generate_mels_gives_the_frames_of_the_tokens_and_depends_on_the_seed(synth, flow_data) -> None:
    tokens = tokens_of(flow_data)
    texts = [tokens["spkA_u00"], tokens["spkB_u01"][:3]]
    prompts = [prompt_of(flow_data, "spkA_u02"), prompt_of(flow_data, "spkB_u00")]
    mels = synth.generate_mels(texts, prompts, seed=0)
    assert [m.shape for m in mels] == [(frames(len(t)), 80) for t in texts]
    assert all(m.dtype == np.float32 and np.isfinite(m).all() for m in mels)
    again = synth.generate_mels(texts, prompts, seed=0)
    other = synth.generate_mels(texts, prompts, seed=1)
    for a, b, c in zip(mels, again, other, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        assert np.abs(a - c).max() > 1e-2
    alone = synth.generate_mels([texts[1]], [prompts[1]], seed=0)[0]  # one sequence: the same frame count
    assert alone.shape == mels[1].shape and np.isfinite(alone).all()


def test_check_tokens_refuses_empty_and_unknown_ids(synth) -> None:
    synth.check_tokens([0, VOCAB - 1])
    with pytest.raises(CstkError, match="x: no speech tokens"):
        synth.check_tokens([], "x")
    for bad in (VOCAB, -1):
        codebook = rf"\(the model's codebook is \[0, {VOCAB}\)\)"
        with pytest.raises(CstkError, match=rf"unknown speech token id {bad} {codebook}"):
            synth.check_tokens([3, bad, VOCAB + 5])


def test_choose_prompts_takes_another_utterance_of_the_same_speaker() -> None:
    utt2spk = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C"}
    chosen = choose_prompts(["b2", "a3", "c1", "a1", "b1", "a2", "lone"], utt2spk)
    assert chosen == {"a1": "a2", "a2": "a3", "a3": "a1", "b1": "b2", "b2": "b1", "c1": None, "lone": None}
    assert choose_prompts([], utt2spk) == {}


def test_a_data_directory_is_resynthesised_with_same_speaker_prompts(synth, flow_data, tmp_path) -> None:
    out = tmp_path / "resynth"
    synth.inference.batch_size = 2  # 5 utterances: 3 flow batches
    try:
        info = resynthesize_dir(synth, flow_data, out, seed=3)
    finally:
        synth.inference.batch_size = 8
    tokens = tokens_of(flow_data)
    utt2spk = read_lines(flow_data / "utt2spk")
    lone = {u for u, s in utt2spk.items() if SMALL_SPEAKERS[s] == 1}
    done = sorted(set(tokens) - lone)
    assert lone == {"spkC_u00"} and len(done) == 5
    assert sorted(p.stem for p in (out / "wav").iterdir()) == done
    for utt in done:
        wave, rate = sf.read(out / "wav" / f"{utt}.wav", dtype="float32")
        assert rate == 22050 and wave.ndim == 1 and len(wave) == frames(len(tokens[utt])) * HOP
        assert np.isfinite(wave).all() and np.abs(wave).max() > 0
    scp = read_lines(out / "wav.scp")
    assert sorted(scp) == done and all(Path(scp[u]) == (out / "wav" / f"{u}.wav").resolve() for u in done)
    source_text = read_lines(flow_data / "text")
    assert read_lines(out / "text") == {u: source_text[u] for u in done}
    assert read_lines(out / "utt2spk") == {u: utt2spk[u] for u in done}
    assert read_lines(out / "spk2utt") == {"spkA": "spkA_u00 spkA_u01 spkA_u02", "spkB": "spkB_u00 spkB_u01"}
    prompts = read_lines(out / "prompts")
    assert sorted(prompts) == done
    assert all(p != u and p in tokens and utt2spk[p] == utt2spk[u] for u, p in prompts.items())
    saved = json.loads((out / "synthesis.json").read_text())
    assert saved == info
    assert saved["kind"] == "resynthesis" and saved["utterances"] == 5 and saved["seed"] == 3
    assert saved["rtf"] > 0 and saved["audio_seconds"] == pytest.approx(
        sum(frames(len(tokens[u])) for u in done) * HOP / 22050, abs=0.01
    )
    assert set(saved["skipped"]) == {"spkC_u00"} and "no other utterance" in saved["skipped"]["spkC_u00"]


def test_a_bad_token_in_the_data_directory_is_refused_before_writing(synth, flow_data, tmp_path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(flow_data, bad)
    lines = (bad / "speech_tokens").read_text().splitlines()
    lines[1] = f"{lines[1]} {VOCAB}"
    (bad / "speech_tokens").write_text("\n".join(lines) + "\n")
    utt = lines[1].split()[0]
    with pytest.raises(CstkError, match=rf"speech_tokens: {utt}: unknown speech token id {VOCAB}"):
        resynthesize_dir(synth, bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_copy_synthesis_is_one_wav_per_mel_of_its_length(synth, flow_data, tmp_path) -> None:
    src = tmp_path / "src"
    shutil.copytree(flow_data, src)
    mel_scp = read_lines(src / "mel.scp")
    (tmp_path / "bad.ark").write_bytes(b"\x00garbage")
    mel_scp["spkC_u00"] = f"{tmp_path / 'bad.ark'}:1"  # an unreadable mel is left out and reported
    (src / "mel.scp").write_text("".join(f"{u} {s}\n" for u, s in mel_scp.items()))
    out = tmp_path / "copy"
    info = vocode_dir(src, out, synth.vocoder, synth.sample_rate, 80)
    lengths = {u: int(v.split(",")[0]) for u, v in read_lines(flow_data / "mel_shape").items()}
    good = sorted(set(lengths) - {"spkC_u00"})
    assert len(good) == 5 and sorted(p.stem for p in (out / "wav").iterdir()) == good
    for utt in good:
        wave, rate = sf.read(out / "wav" / f"{utt}.wav", dtype="float32")
        assert rate == 22050 and len(wave) == lengths[utt] * HOP
    assert sorted(read_lines(out / "wav.scp")) == good
    assert info["kind"] == "copy synthesis" and info["utterances"] == 5 and set(info["skipped"]) == {"spkC_u00"}
    assert json.loads((out / "synthesis.json").read_text()) == info
    with pytest.raises(InputFileError, match=r"mel\.scp: missing: run cstk features first"):
        vocode_dir(tmp_path / "nowhere", tmp_path / "out2", synth.vocoder, synth.sample_rate, 80)


def test_bad_voice_prompts_are_refused_before_the_tokenizer_is_needed(synth) -> None:
    """The model's tokenizer directory holds only tokenizer.json: loading it would fail, so each refusal below is
    made before it is needed; a usable prompt gets as far as the tokenizer."""
    rng = np.random.default_rng(0)
    noise = (0.3 * rng.standard_normal(16000 * 2)).astype(np.float32)
    cases = {
        "silent": (np.zeros(32000, np.float32), r"p: silent"),
        "short": (noise[:1600], r"p: 0\.10 s of audio; a voice prompt needs at least 0\.5 s"),
        "nan": (np.where(np.arange(noise.size) == 7, np.nan, noise).astype(np.float32), "finite mono"),
        "stereo": (np.stack([noise, noise]), "finite mono"),
    }
    for wave, message in cases.values():
        with pytest.raises(PromptError, match=message):
            synth.prompt_from_wave(wave, 16000, name="p")
    assert synth._tokenizer is None
    with pytest.raises(InputFileError, match="not a trained tokenizer directory"):
        synth.prompt_from_wave(noise, 16000, name="p")


def test_a_model_directory_that_is_incomplete_is_refused(flow_exp, tmp_path) -> None:
    with pytest.raises(InputFileError, match="not a trained flow model directory"):
        FlowSynthesizer.load(tmp_path / "nowhere")
    partial = tmp_path / "partial"
    shutil.copytree(flow_exp, partial)
    (partial / "flow.json").unlink()
    with pytest.raises(InputFileError, match=r"flow.json: missing"):
        FlowSynthesizer.load(partial)
