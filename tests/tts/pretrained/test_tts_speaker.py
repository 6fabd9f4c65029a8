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
