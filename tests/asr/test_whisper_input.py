"""The CS-ASR trained on Whisper encoder states (``features.asr_input=whisper asr=cpu_whisper``) end to end on the toy
corpus: the features stage writes them, training reads them at their frame rate, and decoding a data directory and
transcribing an audio file (features made on the fly from the model's own settings) give the same text."""

from __future__ import annotations

from pathlib import Path

import kaldiio
import pytest

from cstoolkit.config import load_config
from tests.conftest import TINY_ASR


@pytest.fixture(scope="module")
def whisper_trained(tmp_path_factory) -> tuple[Path, Path]:
    """(toy corpus root, model dir): the toy corpus with Whisper features, a tiny linear-input model on top."""
    import torch

    from cstoolkit.asr.synthetic import make_toy_corpus
    from cstoolkit.asr.train import train_asr
    from cstoolkit.data.features import compute_features

    root = tmp_path_factory.mktemp("toy_whisper")
    cache = tmp_path_factory.mktemp("whisper") / "base"
    overrides = [
        *TINY_ASR,
        "features.asr_input=whisper",
        f"whisper.cache_dir={cache}",
        "features.splits=[train,dev]",
        "asr.input_size=512",
        "asr.encoder.input_layer=linear",
        "asr.batch.max_frames=1000",
        "asr.train.max_epochs=2",
    ]
    cfg = load_config(overrides)
    make_toy_corpus(root, cfg.features.fbank, 16, seed=3)
    for split in ("train", "dev"):  # the toy corpus comes with fbank; the features stage replaces them
        for name in ("feats.scp", "utt2num_frames", "feats_stats.npz"):
            (root / split / name).unlink(missing_ok=True)
    assert compute_features(root, cfg.features, num_jobs=1) == ["train", "dev"]
    torch.set_num_threads(2)
    train_asr(root / "train", root / "dev", root / "units", root / "exp", cfg)
    return root, root / "exp"


def test_model_reads_whisper_states_at_40_ms(whisper_trained):
    from cstoolkit.asr.inference import load_asr
    from cstoolkit.tokenizer.model import subsampling_factor

    root, exp = whisper_trained
    bundle = load_asr(exp, device="cpu")
    assert bundle.cfg.features.asr_input == "whisper" and int(bundle.cfg.asr.input_size) == 512
    assert subsampling_factor(bundle.model) == 1  # a tokenizer on this encoder makes one token per 40 ms
    feats = dict(kaldiio.load_scp(str(root / "dev" / "feats.scp")).items())
    assert {m.shape[1] for m in feats.values()} == {512}


def test_decoding_features_and_transcribing_audio_agree(whisper_trained, tmp_path: Path):
    from cstoolkit.asr.inference import decode_dir, load_asr, transcribe
    from cstoolkit.data.kaldi_dir import read_kaldi_map

    root, exp = whisper_trained
    bundle = load_asr(exp, device="cpu")
    decode_dir(bundle, root / "dev", tmp_path / "dec", "greedy", bundle.cfg.asr.decode)
    hyps = read_kaldi_map(tmp_path / "dec" / "hyp.txt")
    wavs = read_kaldi_map(root / "dev" / "wav.scp")
    utts = sorted(wavs)[:3]
    texts = transcribe([wavs[u] for u in utts], bundle, method="greedy")
    assert texts == [hyps[u] for u in utts]  # on the fly from audio = the features stage's states


def test_features_made_on_the_fly_equal_the_stage_s(whisper_trained):
    import numpy as np

    from cstoolkit.asr.inference import audio_features, load_asr
    from cstoolkit.data.kaldi_dir import read_kaldi_map

    root, exp = whisper_trained
    bundle = load_asr(exp, device="cpu")
    stage = dict(kaldiio.load_scp(str(root / "dev" / "feats.scp")).items())
    for utt, path in sorted(read_kaldi_map(root / "dev" / "wav.scp").items())[:2]:
        on_the_fly = audio_features(path, bundle.cfg.features).numpy()
        assert on_the_fly.shape == stage[utt].shape
        np.testing.assert_allclose(on_the_fly, stage[utt], atol=2e-3)  # other thread count, same int8 kernels
