"""The four trainings of the DDP test: a toy corpus for each, the ``cstk train-*`` arguments of a tiny model, and what
the exported model must do once trained (decode, extract tokens, synthesise).

Corpora: the toy tone corpus (:func:`cstoolkit.asr.synthetic.make_toy_corpus`: fbank features, transcripts, units)
for the CS-ASR (with one all-NaN utterance: a skipped batch on one rank) and the tokenizer (trained from scratch);
the synthetic flow data directory of the TTS tests (speech tokens, log-mel, d-vectors) with a fake tokenizer; the
toy corpus with random speech tokens, unit durations summing to them and the units and languages of the real text
front end for the text -> token model. Each training set has 20 utterances in 5-7 batches, so that two ranks read
several batches an epoch and an odd count is shared.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tts"))
from tts_helpers import SPEAKERS, TINY_FLOW, write_fake_tokenizer, write_flow_dir

#: every DDP run: two CPU processes (gloo); the models: one thread each, 2 epochs, no progress lines
DDP = ["trainer.strategy=ddp", "trainer.devices=2", "trainer.accelerator=cpu"]
QUIET = ["trainer.enable_progress_bar=false", "trainer.num_threads=1", "units.spm_vocab_size=30", "augment=none"]
ASR = ["asr=tiny", "asr.train.max_epochs=2", "asr.batch.max_batch_size=4", *QUIET]
TOKENIZER = [
    "asr=tiny",
    "asr.encoder.num_blocks=2",
    "tokenizer=tiny",
    "tokenizer.init_from_asr=false",
    "tokenizer.train.max_epochs=2",
    "tokenizer.batch.max_batch_size=4",
    "tokenizer.train.keep_nbest=2",
    *QUIET,
]
FLOW = [*TINY_FLOW, "flow.batch.max_batch_size=3"]
T2S = [
    "t2s.model.d_model=32",
    "t2s.model.ff_mult=2",
    "t2s.model.encoder_layers=1",
    "t2s.model.decoder_layers=1",
    "t2s.model.duration_channels=16",
    "t2s.model.speaker_dim=0",
    "t2s.train.max_epochs=2",
    "t2s.train.keep_nbest=2",
    "t2s.batch.max_batch_size=4",
    "t2s.scheduler.warmup_steps=5",
    *QUIET,
]
CODEBOOK, TOKEN_RATE = 32, 16.6667


@dataclass
class Case:
    """One training: its ``cstk`` command and arguments (without ``--exp-dir``), the utterances of its training
    and validation sets, and ``check(exp_dir)``, which loads the exported model and runs it."""

    command: str
    args: list[str]
    train_utts: set[str]
    dev_utts: set[str]
    check: Callable[[Path], None]
    nonfinite_per_epoch: int = 0  # batches of an epoch whose loss is NaN (skipped on the rank that reads them)


def _utts(path: Path) -> set[str]:
    return {line.split(maxsplit=1)[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _toy(root: Path) -> Path:
    from cstoolkit.asr.synthetic import make_toy_corpus
    from cstoolkit.config import load_config

    return make_toy_corpus(root, load_config(["asr=tiny"]).features.fbank, 20, seed=5)


def poison(data_dir: Path) -> str:
    """Point one training utterance of ``data_dir`` at an all-NaN feature matrix (its loss is NaN: the batch is
    skipped, and under DDP the rank that reads it must still join the others' gradient all-reduce)."""
    import kaldiio

    from cstoolkit.data.kaldi_dir import read_kaldi_map

    scp, frames = read_kaldi_map(data_dir / "feats.scp"), read_kaldi_map(data_dir / "utt2num_frames")
    utt = sorted(scp)[3]
    with kaldiio.WriteHelper(f"ark,scp:{data_dir / 'nan.ark'},{data_dir / 'nan.scp'}") as writer:
        writer(utt, np.full((int(frames[utt]), 80), np.nan, np.float32))
    scp[utt] = (data_dir / "nan.scp").read_text().split(" ", 1)[1].strip()
    (data_dir / "feats.scp").write_text("".join(f"{u} {v}\n" for u, v in sorted(scp.items())))
    return utt


def asr_case(root: Path) -> Case:
    toy = _toy(root)
    poison(toy / "train")

    def check(exp: Path) -> None:
        from cstoolkit.asr.inference import decode_dir, load_asr

        bundle = load_asr(exp, "cpu")
        stats = decode_dir(bundle, toy / "dev", exp / "decode_dev", "greedy", bundle.cfg.asr.decode)
        assert stats.utterances == 6 and _utts(exp / "decode_dev" / "hyp.txt") == _utts(toy / "dev" / "text")

    args = ["--train-dir", str(toy / "train"), "--dev-dir", str(toy / "dev"), "--units-dir", str(toy / "units")]
    return Case("train-asr", [*args, *ASR], _utts(toy / "train" / "text"), _utts(toy / "dev" / "text"), check, 1)


def tokenizer_case(root: Path) -> Case:
    toy = _toy(root)

    def check(exp: Path) -> None:
        import torch

        from cstoolkit.data.kaldi_dir import read_kaldi_file
        from cstoolkit.data.matrices import load_features
        from cstoolkit.tokenizer.extract import SpeechTokenizer

        tok = SpeechTokenizer.load(exp, "cpu")
        feats = [torch.from_numpy(load_features(s)) for s in read_kaldi_file(toy / "dev" / "feats.scp").values()]
        tokens = tok.encode_features(feats)
        assert len(tokens) == 6 and all(t and all(0 <= i < tok.codebook_size for i in t) for t in tokens)

    args = ["--train-dir", str(toy / "train"), "--dev-dir", str(toy / "dev"), "--units-dir", str(toy / "units")]
    train, dev = _utts(toy / "train" / "text"), _utts(toy / "dev" / "text")
    return Case("train-tokenizer", [*args, *TOKENIZER], train, dev, check)


def flow_case(root: Path) -> Case:
    data = write_flow_dir(root / "data", {**SPEAKERS, "spkC": 4, "spkD": 5})  # 20 utterances
    dev = write_flow_dir(root / "dev", {"spkE": 3, "spkF": 3}, seed=1)
    tokenizer = write_fake_tokenizer(root / "tokenizer")

    def check(exp: Path) -> None:
        from cstoolkit.data.kaldi_dir import read_kaldi_file
        from cstoolkit.data.matrices import load_features
        from cstoolkit.tts.flow.synthesis import FlowSynthesizer, Prompt

        synth = FlowSynthesizer.load(exp, "cpu")
        tokens = {u: list(map(int, t.split())) for u, t in read_kaldi_file(dev / "speech_tokens").items()}
        mels, embeds = read_kaldi_file(dev / "mel.scp"), read_kaldi_file(dev / "utt_embed.scp")
        prompt_utt, utt = sorted(tokens)[:2]
        prompt = Prompt(tokens[prompt_utt], load_features(mels[prompt_utt], 80), load_features(embeds[prompt_utt])[0])
        mel = synth.generate_mels([tokens[utt]], [prompt])[0]
        assert mel.shape[1] == 80 and mel.shape[0] > 0 and np.isfinite(mel).all()
        wave = synth.vocode(mel)
        assert wave.size > 0 and np.isfinite(wave).all()

    args = ["--train-dir", str(data), "--dev-dir", str(dev), "--tokenizer-dir", str(tokenizer)]
    return Case("train-flow", [*args, *FLOW], _utts(data / "speech_tokens"), _utts(dev / "speech_tokens"), check)


def write_aligned(data_dir: Path, units_dir: Path, seed: int) -> None:
    """Random speech tokens (< :data:`CODEBOOK`) and unit durations (1-3 frames) for the units and languages the
    text front end gives each transcript, with the ``unit_align.json`` of these units (what ``cstk tokenize`` and
    ``cstk align-units`` would write)."""
    from cstoolkit.data.kaldi_dir import read_kaldi_file
    from cstoolkit.text.tokens import TextTokenizer
    from cstoolkit.tts.frontend import TextFrontEnd
    from cstoolkit.tts.t2s.align import ALIGN_INFO, units_fingerprint

    rng = np.random.default_rng(seed)
    front = TextFrontEnd(TextTokenizer(units_dir), [])
    files: dict[str, list[str]] = {"text_units": [], "unit_durations": [], "unit_langs": [], "speech_tokens": []}
    for utt, text in sorted(read_kaldi_file(data_dir / "text").items()):
        f = front(text, "zh-en")
        durations = rng.integers(1, 4, size=len(f.unit_ids))
        tokens = rng.integers(0, CODEBOOK, size=int(durations.sum()))
        for name, values in zip(files, (f.unit_ids, durations, f.langs, tokens)):
            files[name].append(f"{utt} {' '.join(map(str, values))}\n")
    for name, lines in files.items():
        (data_dir / name).write_text("".join(lines), encoding="utf-8")
    info = {"tokenizer": "fake", "units_sha1": units_fingerprint(units_dir), "lead_blanks": "first_unit"}
    (data_dir / ALIGN_INFO).write_text(json.dumps(info), encoding="utf-8")


def t2s_case(root: Path) -> Case:
    toy = _toy(root)
    tokenizer = write_fake_tokenizer(root / "tokenizer", CODEBOOK, TOKEN_RATE)
    shutil.copytree(toy / "units", tokenizer / "units")
    for k, split in enumerate(("train", "dev")):
        write_aligned(toy / split, tokenizer / "units", k)

    def check(exp: Path) -> None:
        from cstoolkit.data.kaldi_dir import read_kaldi_file
        from cstoolkit.tts.t2s.infer import TextToSpeechTokens

        model = TextToSpeechTokens.load(exp)
        texts = sorted(read_kaldi_file(toy / "dev" / "text").values())[:3]
        results = model.synthesize(texts, ["zh-en"] * 3)
        assert len(results) == 3 and all(r.tokens and all(0 <= t < CODEBOOK for t in r.tokens) for r in results)

    args = ["--train-dir", str(toy / "train"), "--dev-dir", str(toy / "dev"), "--tokenizer-dir", str(tokenizer)]
    return Case("train-t2s", [*args, *T2S], _utts(toy / "train" / "text"), _utts(toy / "dev" / "text"), check)


CASES = {"asr": asr_case, "tokenizer": tokenizer_case, "flow": flow_case, "t2s": t2s_case}
