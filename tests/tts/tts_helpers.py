"""Helpers of the TTS tests (espeak-ng speech, synthetic flow-model data directories, tiny configs); imported by
the test modules and conftest.py (a module of its own: ``conftest`` is ambiguous when several test folders are
collected together)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CONF = Path(__file__).resolve().parents[2] / "conf"


def espeak(text: str, voice: str = "en-us", pitch: int = 50, rate: int = 165) -> tuple[np.ndarray, int]:
    """Mono float32 speech from espeak-ng, peak-normalised to 0.9 like the demo corpus, and its sample rate."""
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    cmd = ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(rate), "--stdout", text]
    samples, sr = sf.read(io.BytesIO(subprocess.run(cmd, capture_output=True, check=True).stdout), dtype="float32")
    return (samples / np.abs(samples).max() * 0.9).astype(np.float32), sr


# -- a synthetic flow-model data directory and a tiny trained flow model ------------------------------------------

MEL_RATE = 22050 / 256  # mel frames per second of the features stage
TOKEN_RATE = 16.6667  # of the fake tokenizer
VOCAB = 40
#: utterances per speaker of the synthetic data directory (spkC has one: it cannot be resynthesised)
SPEAKERS = {"spkA": 6, "spkB": 5, "spkC": 1}
#: ``cstk train-flow`` overrides of a flow model that trains in a second (several batches an epoch)
TINY_FLOW = [
    "flow.model.encoder.d_model=32",
    "flow.model.encoder.layers=1",
    "flow.model.estimator.channels=[32,32]",
    "flow.model.estimator.transformer_layers=[0,1]",
    "flow.model.estimator.time_dim=32",
    "flow.train.max_epochs=2",
    "flow.train.keep_nbest=2",
    "flow.batch.max_frames=300",
    "flow.inference.steps=3",
    "trainer.enable_progress_bar=false",
    "trainer.num_threads=1",  # (on a busy 2-core machine two threads make the vocoder ~5x slower, not faster)
]


def write_flow_dir(
    data_dir: Path,
    speakers: dict[str, int] | None = None,
    vocab: int = VOCAB,
    token_rate: float = TOKEN_RATE,
    seed: int = 0,
    n_tokens: tuple[int, int] = (8, 20),
) -> Path:
    """A data directory as ``cstk features``, ``cstk tokenize`` and ``cstk embed-speakers`` leave it: speech_tokens
    (``n_tokens``: fewest and most ids, each < ``vocab``), mel.scp + mel_shape ((T, 80) float32 log-mel, T = the
    frames of the tokens at ``token_rate``), utt_embed.scp ((1, 256) unit-norm non-negative d-vectors, close within
    a speaker), utt2spk, spk2utt and text."""
    import kaldiio

    speakers = SPEAKERS if speakers is None else speakers
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tokens, shapes, utt2spk, text = [], [], [], []
    with (
        kaldiio.WriteHelper(f"ark,scp:{data_dir / 'mel.ark'},{data_dir / 'mel.scp'}") as mels,
        kaldiio.WriteHelper(f"ark,scp:{data_dir / 'utt_embed.ark'},{data_dir / 'utt_embed.scp'}") as embeds,
    ):
        for s, (spk, count) in enumerate(sorted(speakers.items())):
            voice = np.abs(rng.normal(size=256))
            for k in range(count):
                utt = f"{spk}_u{k:02d}"
                ids = rng.integers(0, vocab, size=int(rng.integers(n_tokens[0], n_tokens[1] + 1)))
                frames = round(len(ids) * MEL_RATE / token_rate)
                mel = (rng.normal(-5.0 + 0.5 * s, 2.0, size=(frames, 80))).astype(np.float32)
                vector = voice + 0.1 * np.abs(rng.normal(size=256))
                mels(utt, mel)
                embeds(utt, (vector / np.linalg.norm(vector))[None].astype(np.float32))
                tokens.append(f"{utt} {' '.join(map(str, ids))}")
                shapes.append(f"{utt} {frames},80")
                utt2spk.append(f"{utt} {spk}")
                text.append(f"{utt} word{k} {spk.lower()}")
    for name, lines in {"speech_tokens": tokens, "mel_shape": shapes, "utt2spk": utt2spk, "text": text}.items():
        (data_dir / name).write_text("".join(f"{line}\n" for line in lines))
    spk2utt = {}
    for line in utt2spk:
        utt, spk = line.split()
        spk2utt.setdefault(spk, []).append(utt)
    (data_dir / "spk2utt").write_text("".join(f"{s} {' '.join(u)}\n" for s, u in sorted(spk2utt.items())))
    return data_dir


def write_fake_tokenizer(tok_dir: Path, vocab: int = VOCAB, token_rate: float = TOKEN_RATE) -> Path:
    """A tokenizer directory holding only ``tokenizer.json`` (all that training the flow model reads of it)."""
    import json

    tok_dir.mkdir(parents=True, exist_ok=True)
    (tok_dir / "tokenizer.json").write_text(json.dumps({"codebook_size": vocab, "token_rate_hz": token_rate}))
    return tok_dir


def flow_config(*extra: str):
    """The composed config with :data:`TINY_FLOW` and ``extra`` overrides."""
    from cstoolkit.config import load_config

    return load_config([*TINY_FLOW, *extra])


#: speakers of :func:`flow_data`: few and short utterances, since vocoding them is the slow part of the tests
SMALL_SPEAKERS = {"spkA": 3, "spkB": 2, "spkC": 1}
