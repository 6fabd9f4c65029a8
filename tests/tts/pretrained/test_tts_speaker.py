"""resemblyzer d-vectors: shape and norm, batching, any sample rate, same voice closer than another voice."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from tts_helpers import espeak

from cstoolkit.data.audio import resample
from cstoolkit.errors import CstkError, ModelNotAvailableError
from cstoolkit.tts.pretrained.speaker import SpeakerEncoder

#: two demo-corpus pseudo-speakers far apart (a male and a female espeak variant), two sentences each
VOICES = {"m": ("en-us+m1", 45, 165), "f": ("en-us+f2", 60, 175)}
TEXTS = ("I went to the shopping mall yesterday with my friends.", "Please send me the report before the meeting.")


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return SpeakerEncoder("cpu")


@pytest.fixture(scope="module")
def utterances() -> list[tuple[str, np.ndarray, int]]:
    return [(v, *espeak(t, *VOICES[v])) for v in VOICES for t in TEXTS]


def test_embeddings_are_unit_norm_non_negative_and_batched(encoder, utterances):
    waves, rate = [u[1] for u in utterances], utterances[0][2]
    emb = encoder(waves, rate)
    assert emb.shape == (4, 256) and emb.dtype == np.float32 and encoder.dim == 256
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert float(emb.min()) >= 0.0
    np.testing.assert_allclose(encoder.embed(waves[1], rate), emb[1], atol=1e-5)


def test_any_sample_rate_gives_the_same_voice(encoder, utterances):
    _, wave, rate = utterances[0]
    a = encoder.embed(wave, rate)
    b = encoder.embed(resample(wave, rate, 16000), 16000)
    c = encoder.embed(resample(wave, rate, 44100), 44100)
    assert float(a @ b) > 0.99 and float(a @ c) > 0.99


def test_same_voice_is_closer_than_another_voice(encoder, utterances):
    emb = encoder([u[1] for u in utterances], utterances[0][2])
    sim = emb @ emb.T
    same = [sim[0, 1], sim[2, 3]]
    other = [sim[i, j] for i in (0, 1) for j in (2, 3)]
    assert min(same) > max(other) + 0.1, sim  # measured: same 0.91-0.96, other 0.53-0.63


def test_silent_audio_is_refused(encoder):
    with pytest.raises(CstkError, match="non-silent"):
        encoder.embed(np.zeros(16000, np.float32), 16000)


def test_missing_package_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "resemblyzer", None)  # import fails as if not installed
    with pytest.raises(ModelNotAvailableError, match=r"resemblyzer.*setup_env\.sh"):
        SpeakerEncoder()


def test_a_data_dir_is_embedded_with_each_utterance_prepared_once(encoder, utterances, tmp_path, monkeypatch):
    """``embed_data_dir`` makes each utterance's partials (VAD + mel) once, not a second time to embed them, and
    writes what the encoder gives the waveforms; a silent file is left out and reported."""
    from cstoolkit.data.audio import load_audio, write_audio
    from cstoolkit.data.matrices import load_features
    from cstoolkit.tts.pretrained.speaker import EMBED_FILE, embed_data_dir

    lines = []
    for k, (_, wave, rate) in enumerate([*utterances, ("silent", np.zeros(8000, np.float32), 16000)]):
        write_audio(tmp_path / f"u{k}.wav", wave, rate, "wav")
        lines.append(f"u{k} {tmp_path / f'u{k}.wav'}\n")
    (tmp_path / "wav.scp").write_text("".join(lines))
    calls = []
    partials = encoder.partials
    monkeypatch.setattr(encoder, "partials", lambda wave, rate: calls.append(1) or partials(wave, rate))
    failed = embed_data_dir(tmp_path, encoder, batch_size=3)
    assert len(calls) == len(lines) and list(failed) == [f"u{len(utterances)}"]
    written = dict(line.split(maxsplit=1) for line in (tmp_path / EMBED_FILE).read_text().splitlines())
    waves = [load_audio(tmp_path / f"u{k}.wav", target_sr=encoder.sample_rate)[0] for k in range(len(utterances))]
    expected = encoder.embed_partials([partials(w, encoder.sample_rate) for w in waves])
    got = np.stack([load_features(written[f"u{k}"])[0] for k in range(len(utterances))])
    np.testing.assert_allclose(got, expected, atol=1e-6)
