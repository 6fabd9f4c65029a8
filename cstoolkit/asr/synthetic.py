"""A toy code-switched ASR corpus made of tones, for tests and benchmarks when no real corpus is at hand.

Each word of a small mixed-script lexicon (Han characters, Latin words, Hangul, Devanagari) is rendered as its own
two-tone chord; an utterance is a word sequence with short pauses. The result is a complete data directory as the
features stage writes it (``wav.scp text utt2spk spk2utt utt2lang utt2dur feats.scp utt2num_frames`` and
``feats_stats.npz``), so the real training/decoding code runs on it unchanged.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from cstoolkit.core.atomic import atomic_write_text

LEXICON: tuple[str, ...] = ("我", "去", "买", "东", "西", "shopping", "mall", "today", "coffee", "오늘", "नमस्ते", "good")
CHAR_WORDS = frozenset({"我", "去", "买", "东", "西"})


def _render_word(word: str, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """(N,) float32 chord whose two frequencies identify the word; length 0.12-0.2 s."""
    k = LEXICON.index(word)
    dur = 0.12 + 0.02 * (k % 4)
    t = np.arange(int(dur * sample_rate)) / sample_rate
    f1, f2 = 300 + 90 * k, 1500 + 170 * ((k * 5) % len(LEXICON))
    env = np.hanning(t.size)
    sig = 0.4 * np.sin(2 * np.pi * f1 * t) + 0.3 * np.sin(2 * np.pi * f2 * t)
    return (env * sig + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def _text_of(words: list[str]) -> str:
    out = ""
    for i, w in enumerate(words):
        if i and not (w in CHAR_WORDS and words[i - 1] in CHAR_WORDS):
            out += " "
        out += w
    return out


def make_toy_split(
    out_dir: str | Path,
    num_utts: int,
    fbank_cfg: DictConfig,
    seed: int = 0,
    speaker: str = "spk1",
    min_words: int = 2,
    max_words: int = 6,
) -> Path:
    """Write a toy data directory with audio, transcripts and fbank features; return its path."""
    import kaldiio
    import soundfile as sf
    from omegaconf import OmegaConf

    from cstoolkit.data.features import fbank

    out_dir = Path(out_dir)
    wav_dir = out_dir / "wav"
    wav_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    sr = int(fbank_cfg.sample_rate)
    gap = np.zeros(int(0.05 * sr), dtype=np.float32)
    rows: dict[str, dict[str, str]] = {}
    feats: dict[str, np.ndarray] = {}
    for n in range(num_utts):
        utt = f"{speaker}-toy{seed:03d}{n:04d}"
        words = [pick.choice(LEXICON) for _ in range(pick.randint(min_words, max_words))]
        audio = np.concatenate([gap, *[np.concatenate([_render_word(w, sr, rng), gap]) for w in words]])
        path = wav_dir / f"{utt}.wav"
        sf.write(path, audio, sr)
        feats[utt] = fbank(audio, OmegaConf.to_container(fbank_cfg, resolve=True))
        rows[utt] = {"wav": str(path.resolve()), "text": _text_of(words), "dur": f"{audio.size / sr:.3f}"}
    with kaldiio.WriteHelper(f"ark,scp:{out_dir / 'feats.ark'},{out_dir / 'feats.scp'}") as writer:
        for utt in sorted(feats):
            writer(utt, feats[utt])
    utts = sorted(rows)
    files = {
        "wav.scp": [f"{u} {rows[u]['wav']}" for u in utts],
        "text": [f"{u} {rows[u]['text']}" for u in utts],
        "utt2spk": [f"{u} {speaker}" for u in utts],
        "spk2utt": [f"{speaker} {' '.join(utts)}"],
        "utt2lang": [f"{u} zh-en" for u in utts],
        "utt2dur": [f"{u} {rows[u]['dur']}" for u in utts],
        "utt2num_frames": [f"{u} {feats[u].shape[0]}" for u in utts],
    }
    for name, lines in files.items():
        atomic_write_text(out_dir / name, "\n".join(lines) + "\n")
    stacked = np.concatenate([feats[u] for u in utts]).astype(np.float64)
    np.savez(
        out_dir / "feats_stats.npz",
        count=np.array(stacked.shape[0]),
        sum=stacked.sum(0),
        sum_square=(stacked**2).sum(0),
    )
    return out_dir


def make_toy_corpus(
    root: str | Path, fbank_cfg: DictConfig, train_utts: int, seed: int = 1, spm_vocab_size: int = 30
) -> Path:
    """``<root>/{train,dev}`` toy data directories (dev: 6 utterances of another speaker) and ``<root>/units``."""
    from cstoolkit.config import load_config
    from cstoolkit.data.kaldi_dir import read_kaldi_file
    from cstoolkit.text.tokens import TextTokensConfig, build_text_tokens

    root = Path(root)
    make_toy_split(root / "train", train_utts, fbank_cfg, seed=seed)
    make_toy_split(root / "dev", 6, fbank_cfg, seed=seed + 1, speaker="spk2")
    texts = read_kaldi_file(root / "train" / "text").values()
    units_cfg = load_config([f"units.spm_vocab_size={spm_vocab_size}"]).units
    build_text_tokens(texts, root / "units", TextTokensConfig.from_config(units_cfg))
    return root
