"""Fixtures (imported by conftest.py): the toy corpus, a tiny tokenizer trained on it from scratch (quantizer after
block 1 of 2), its speech tokens of the toy splits, and the units aligned to them (copies per test where a test
changes files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

#: a tiny tokenizer (2 encoder blocks, 32 codes), trained from scratch for 1 epoch: seconds
TOKENIZER = [
    "asr=tiny",
    "asr.encoder.num_blocks=2",
    "tokenizer=tiny",
    "tokenizer.init_from_asr=false",
    "tokenizer.train.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "units.spm_vocab_size=30",
    "augment=none",
]
#: the CPU model shrunk to milliseconds a step (same structure)
T2S = [
    "t2s.model.d_model=32",
    "t2s.model.ff_mult=2",
    "t2s.model.encoder_layers=1",
    "t2s.model.decoder_layers=1",
    "t2s.model.duration_channels=16",
    "t2s.model.speaker_dim=8",
    "t2s.train.max_epochs=2",
    "t2s.train.keep_nbest=1",
    "t2s.batch.max_frames=200",
    "t2s.scheduler.warmup_steps=5",
    "t2s.optim.lr=0.003",
]


#: the autoregressive model shrunk the same way (t2s=ar_cpu)
AR = [
    "t2s=ar_cpu",
    "t2s.model.d_model=32",
    "t2s.model.ff_mult=2",
    "t2s.model.encoder_layers=1",
    "t2s.model.lm_layers=1",
    "t2s.model.speaker_dim=0",
    "t2s.train.max_epochs=2",
    "t2s.train.keep_nbest=1",
    "t2s.batch.max_frames=200",
    "t2s.scheduler.warmup_steps=5",
    "t2s.optim.lr=0.003",
]


@pytest.fixture(scope="session")
def ar_cfg():
    from cstoolkit.config import load_config

    return load_config([*TOKENIZER, *AR])


@pytest.fixture(scope="session")
def tcfg():
    from cstoolkit.config import load_config

    return load_config([*TOKENIZER, *T2S])


@pytest.fixture(scope="session")
def toy(tmp_path_factory, tcfg) -> Path:
    """``<root>/{train,dev}`` toy data directories with speech tokens, ``<root>/units`` and ``<root>/tokenizer``."""
    from cstoolkit.asr.synthetic import make_toy_corpus
    from cstoolkit.tokenizer.extract import tokenize_dirs
    from cstoolkit.tokenizer.train import train_tokenizer

    root = make_toy_corpus(tmp_path_factory.mktemp("t2s"), tcfg.features.fbank, 24, seed=3)
    train_tokenizer(root / "train", root / "dev", root / "units", root / "tokenizer", tcfg)
    tokenize_dirs(root / "tokenizer", [root / "train", root / "dev"], device="cpu")
    return root


@pytest.fixture(scope="session")
def aligned(toy) -> Path:
    """The toy corpus with ``text_units``, ``unit_durations``, ``unit_langs`` in both splits."""
    from cstoolkit.tts.t2s.align import align_dirs

    align_dirs(toy / "tokenizer", [toy / "train", toy / "dev"], device="cpu")
    return toy


@pytest.fixture
def copy_split(tmp_path):
    """``copy_split(src)``: a private copy of a data directory (its feature archive stays shared, read-only)."""

    def make(src: Path) -> Path:
        dst = tmp_path / src.name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("wav", "*.ark"))
        return dst

    return make


# -- a whole TTS: the toy corpus with log-mels and d-vectors, a tiny flow model and a tiny T2S model naming it ------
#: the flow model of tests/tts shrunk to milliseconds a step, and the T2S model taking the 256-d d-vectors
TTS = [
    "flow.model.encoder.d_model=32",
    "flow.model.encoder.layers=1",
    "flow.model.estimator.channels=[32,32]",
    "flow.model.estimator.transformer_layers=[0,1]",
    "flow.model.estimator.time_dim=32",
    "flow.train.max_epochs=1",
    "flow.train.keep_nbest=1",
    "flow.batch.max_frames=400",
    "flow.inference.steps=2",
    "t2s.model.speaker_dim=256",
    "trainer.num_threads=1",
]


def add_tts_features(data_dir: Path, encoder) -> None:
    """``mel.scp`` + ``mel_shape`` (the features stage's HiFi-GAN log-mel of each wav) and ``utt_embed.scp``."""
    import kaldiio
    from omegaconf import OmegaConf

    from cstoolkit.config import load_config
    from cstoolkit.data.audio import load_audio
    from cstoolkit.data.features import hifigan_mel
    from cstoolkit.data.kaldi_dir import read_kaldi_file
    from cstoolkit.tts.pretrained.speaker import embed_data_dir

    mel_cfg = OmegaConf.to_container(load_config([]).features.mel, resolve=True)
    shapes = []
    with kaldiio.WriteHelper(f"ark,scp:{data_dir / 'mel.ark'},{data_dir / 'mel.scp'}") as writer:
        for utt, path in sorted(read_kaldi_file(data_dir / "wav.scp").items()):
            mel = hifigan_mel(load_audio(path, int(mel_cfg["sample_rate"]))[0], mel_cfg)
            writer(utt, mel)
            shapes.append(f"{utt} {mel.shape[0]},{mel.shape[1]}\n")
    (data_dir / "mel_shape").write_text("".join(shapes))
    embed_data_dir(data_dir, encoder)


@pytest.fixture(scope="session")
def tts_cfg():
    from cstoolkit.config import load_config

    return load_config([*TOKENIZER, *T2S, *TTS])


@pytest.fixture(scope="session")
def tts_exp(aligned, tmp_path_factory, tts_cfg) -> Path:
    """``<root>/{train,dev}`` (copies of the aligned toy splits with mel.scp and utt_embed.scp), ``<root>/flow`` (a
    flow model on the toy tokenizer's tokens) and ``<root>/tts`` (a T2S model whose t2s.json names the flow)."""
    import torch

    from cstoolkit.tts.flow.train import train_flow
    from cstoolkit.tts.pretrained.speaker import SpeakerEncoder
    from cstoolkit.tts.t2s.train import train_t2s

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tts")
    encoder = SpeakerEncoder()
    for split in ("train", "dev"):
        shutil.copytree(aligned / split, root / split, ignore=shutil.ignore_patterns("wav", "*.ark", "feats"))
        add_tts_features(root / split, encoder)
    train_flow(root / "train", root / "dev", aligned / "tokenizer", root / "flow", tts_cfg)
    train_t2s(root / "train", root / "dev", aligned / "tokenizer", root / "tts", tts_cfg, root / "flow")
    return root
