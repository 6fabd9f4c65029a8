"""The embedded demo corpus: code-switched sentences for the 11 SwitchLingua pairs, synthesised offline.

Sentences come from templates with slot lexicons (``mini/<pair>.json`` + ``mini/en_slots.json``), stored as
language-tagged segments. Every segment is spoken by espeak-ng in its own language, by pseudo-speakers that differ
in voice variant, pitch and rate (``conf/data/mini.yaml``). Train, dev and test have disjoint speakers and disjoint
sentences; dev/test sentences are new combinations of slot words that all occur in train. Audio is cached under
``<output_dir>/audio/mini`` by a hash of everything that shapes it, so a re-run synthesises nothing. The other
sentence source, the text generator's frames (``data.mini.sentences: generated``), is in
:mod:`cstoolkit.data.corpora.mini_world`; it synthesises through :func:`run_jobs` too.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import random
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from cstoolkit.data.audio import duration_of, resample, trim_silence, write_audio
from cstoolkit.data.corpora.mini_voices import espeak_rate, vocal_tract_warp
from cstoolkit.data.kaldi_dir import Utterance, segments_text
from cstoolkit.data.parallel import parallel_map
from cstoolkit.errors import ConfigError, CstkError
from cstoolkit.text import NormalizeOptions, normalize

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("mini")
SPLITS = ("train", "dev", "test")
#: splits read by the same voices: the generated world's test_novel is read by the test voices
SAME_VOICES = {frozenset(("test", "test_novel"))}
_SLOT = re.compile(r"\{([A-Z_]+)\}")
#: storage normalisation of the sentence files: Unicode NFKC and single spaces, nothing else
_STORE = NormalizeOptions(nfkc=True, casefold=False, punctuation=False, whitespace=True)


@dataclass(frozen=True)
class Sentence:
    """One filled template: an id unique within its pair, its segments, and the slot words it uses."""

    pair: str
    key: str
    segments: tuple[tuple[str, str], ...]
    words: frozenset[str]

    @property
    def text(self) -> str:
        return segments_text([{"lang": lang, "text": text} for lang, text in self.segments])


@dataclass(frozen=True)
class SynthJob:
    """Everything one worker needs to synthesise one utterance (picklable)."""

    uttid: str
    speaker: dict[str, Any]
    sentence: Sentence
    path: str


def available_pairs() -> list[str]:
    """Language pairs that ship a sentence file."""
    return sorted(p.stem for p in DATA_DIR.glob("*-en.json"))


def load_templates(pair: str) -> tuple[dict[str, list[str]], list[list[list[str]]]]:
    """Slot lexicons (pair slots + shared English slots) and templates of one pair."""
    path = DATA_DIR / f"{pair}.json"
    if not path.is_file():
        raise ConfigError(f"no demo sentences for pair {pair!r}; available: {', '.join(available_pairs())}")
    spec = json.loads(path.read_text(encoding="utf-8"))
    shared = json.loads((DATA_DIR / "en_slots.json").read_text(encoding="utf-8"))["slots"]
    return {**shared, **spec["slots"]}, spec["templates"]


def expand_sentences(pair: str) -> list[Sentence]:
    """Every sentence the templates of ``pair`` can make, in a fixed order."""
    slots, templates = load_templates(pair)
    sentences = []
    for t_index, template in enumerate(templates):
        names = sorted({name for _, text in template for name in _SLOT.findall(text)})
        for choice in itertools.product(*(range(len(slots[n])) for n in names)):
            fill = {n: slots[n][i] for n, i in zip(names, choice, strict=True)}
            segments = tuple(
                (lang, normalize(_SLOT.sub(lambda m, fill=fill: fill[m.group(1)], text), _STORE))
                for lang, text in template
            )
            key = "t" + "_".join([str(t_index), *map(str, choice)])
            words = frozenset(f"{n}={fill[n]}" for n in names)
            sentences.append(Sentence(pair, key, segments, words))
    return sentences


def select_sentences(sentences: list[Sentence], counts: dict[str, int], seed: int) -> dict[str, list[Sentence]]:
    """Shuffle; hold out the dev/test sentences; pick train sentences that first cover every held-out slot word
    (greedy set cover), then fill up in shuffled order. Held-out sentences are thus unseen, their words are not.

    Raises ConfigError when the templates cannot supply that many sentences or cover the held-out words.
    """
    order = list(sentences)
    random.Random(seed).shuffle(order)
    held = counts["dev"] + counts["test"]
    pair = sentences[0].pair if sentences else "?"
    if len(order) < held + counts["train"]:
        raise ConfigError(f"pair {pair}: {len(order)} sentences, asked for {counts['train']} train + {held} held-out")
    # a held-out sentence must leave every one of its slot words in some other (trainable) sentence
    left = Counter(word for s in order for word in s.words)
    held_out: list[Sentence] = []
    pool: list[Sentence] = []
    for sentence in order:
        if len(held_out) < held and all(left[word] > 1 for word in sentence.words):
            held_out.append(sentence)
            left.subtract(sentence.words)
        else:
            pool.append(sentence)
    dev, test = held_out[: counts["dev"]], held_out[counts["dev"] :]
    missing = set().union(*(s.words for s in dev + test)) if held else set()
    train: list[Sentence] = []
    while missing and len(train) < counts["train"]:
        best = max(pool, key=lambda s: len(s.words & missing))
        if not best.words & missing:
            break
        train.append(best)
        pool.remove(best)
        missing -= best.words
    if missing:
        raise ConfigError(
            f"pair {pair}: {counts['train']} train sentences cannot cover held-out words {sorted(missing)}"
        )
    train += pool[: counts["train"] - len(train)]
    return {"train": train, "dev": dev, "test": test}


def espeak_text(lang: str, text: str) -> str:
    """What espeak-ng is given: tone-numbered pinyin for Mandarin (its Han voice is broken), else the text."""
    if lang == "zh":
        from pypinyin import Style, lazy_pinyin

        return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
    return text


def _speak(cfg: dict[str, Any], speaker: dict[str, Any], lang: str, text: str) -> np.ndarray:
    """One segment through espeak-ng, trimmed of its leading/trailing silence, at espeak's sample rate."""
    voice = f"{cfg['voices'][lang]}+{speaker['variant']}"
    cmd = [cfg["espeak"], "-v", voice, "-p", str(speaker["pitch"]), "-s", str(espeak_rate(speaker)), "--stdout"]
    try:
        out = subprocess.run([*cmd, espeak_text(lang, text)], capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise CstkError(f"{cfg['espeak']} not found: run scripts/setup_env.sh (installs espeak-ng)") from None
    except subprocess.CalledProcessError as err:
        message = err.stderr.decode(errors="replace").strip().splitlines()
        raise CstkError(f"espeak-ng failed (voice {voice}) on {text!r}: {message[0] if message else err}") from None
    samples, rate = sf.read(io.BytesIO(out), dtype="float32")
    if rate != cfg["espeak_rate"]:
        raise RuntimeError(f"espeak-ng produced {rate} Hz, config says {cfg['espeak_rate']}")
    # a speaker's vocal-tract warp (generated voices only; the hand-listed speakers have none)
    return vocal_tract_warp(trim_silence(samples, cfg["trim_db"]), rate, float(speaker.get("warp", 1.0)))


def synthesize(job: SynthJob, cfg: dict[str, Any]) -> Utterance:
    """Synthesise (or reuse the cached audio of) one utterance; return its Kaldi record."""
    path = Path(job.path)
    if not path.is_file():
        rate = cfg["espeak_rate"]
        gap = np.zeros(int(cfg["gap"] * rate), np.float32)
        edge = np.zeros(int(cfg["edge"] * rate), np.float32)
        parts = [edge]
        for index, (lang, text) in enumerate(job.sentence.segments):
            if index:
                parts.append(gap)
            parts.append(_speak(cfg, job.speaker, lang, text))
        parts.append(edge)
        audio = resample(np.concatenate(parts), rate, cfg["sample_rate"])
        audio = audio * (cfg["peak"] / max(float(np.abs(audio).max()), 1e-6))
        write_audio(path, audio, cfg["sample_rate"], cfg["audio_format"])
    segments = [{"lang": lang, "text": text} for lang, text in job.sentence.segments]
    return Utterance(
        id=job.uttid,
        speaker=job.speaker["id"],
        audio=str(path.resolve()),
        text=segments_text(segments),
        lang=job.sentence.pair,
        duration=duration_of(path),
        segments=segments,
        meta={"sentence": f"{job.sentence.pair}/{job.sentence.key}", "corpus": "mini"},
    )


def _cache_key(cfg: dict[str, Any], speaker: dict[str, Any], sentence: Sentence) -> str:
    """Hash of everything that shapes the audio of one utterance."""
    shaping = {k: cfg[k] for k in ("voices", "espeak_rate", "gap", "edge", "peak", "trim_db", "sample_rate")}
    blob = json.dumps([shaping, speaker, sentence.segments], sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:10]


def plan_jobs(cfg: dict[str, Any], audio_dir: Path) -> dict[str, list[SynthJob]]:
    """Assign sentences to splits and speakers: train sentences read by ``train_readings`` train speakers each,
    dev/test sentences by one speaker of their own split. Returns the synthesis jobs per split."""
    counts = {split: int(cfg[f"{split}_sentences"]) for split in SPLITS}
    jobs: dict[str, list[SynthJob]] = {split: [] for split in SPLITS}
    for p_index, pair in enumerate(cfg["pairs"]):
        chosen = select_sentences(expand_sentences(pair), counts, seed=int(cfg["seed"]) + p_index)
        for split in SPLITS:
            speakers = cfg["speakers"][split]
            readings = int(cfg["train_readings"]) if split == "train" else 1
            if readings > len(speakers):
                raise ConfigError(f"train_readings={readings} exceeds the {len(speakers)} {split} speakers")
            for s_index, sentence in enumerate(chosen[split]):
                for r in range(readings):
                    spk = speakers[(s_index * readings + r + p_index) % len(speakers)]
                    uttid = f"{spk['id']}-{pair}-{sentence.key}"  # "-" sorts before alphanumerics (Kaldi)
                    name = f"{uttid}.{_cache_key(cfg, spk, sentence)}.{cfg['audio_format']}"
                    jobs[split].append(SynthJob(uttid, dict(spk), sentence, str(audio_dir / pair / name)))
    return jobs


def check_disjoint(splits: dict[str, list[Utterance]]) -> None:
    """Raise RuntimeError if two splits share a sentence (compared after SAER normalisation) or a speaker (except
    the splits of :data:`SAME_VOICES`)."""
    for a, b in itertools.combinations(splits, 2):
        spk = set() if {a, b} in SAME_VOICES else {u.speaker for u in splits[a]} & {u.speaker for u in splits[b]}
        txt = {normalize(u.text) for u in splits[a]} & {normalize(u.text) for u in splits[b]}
        if spk or txt:
            raise RuntimeError(f"{a}/{b} overlap: speakers {sorted(spk)[:3]}, sentences {sorted(txt)[:3]}")


def prepare_mini(output_dir: str | Path, cfg: dict[str, Any], num_jobs: int = 1) -> dict[str, list[Utterance]]:
    """Synthesise the demo corpus into ``<output_dir>/audio/mini`` and return its utterances per split."""
    return run_jobs(plan_jobs(cfg, Path(output_dir).resolve() / "audio" / "mini"), cfg, num_jobs)


def run_jobs(jobs: dict[str, list[SynthJob]], cfg: dict[str, Any], num_jobs: int) -> dict[str, list[Utterance]]:
    """Synthesise (or take from the cache) every job; the utterances per split, checked to be disjoint."""
    total = sum(len(j) for j in jobs.values())
    cached = sum(Path(j.path).is_file() for js in jobs.values() for j in js)
    log.info("demo corpus: %d pairs, %d utterances (%d cached), %d job(s)", len(cfg["pairs"]), total, cached, num_jobs)
    flat = [job for split in jobs for job in jobs[split]]
    results = parallel_map(partial(synthesize, cfg=cfg), flat, num_jobs, desc="synthesise")
    out: dict[str, list[Utterance]] = {}
    start = 0
    for split in jobs:
        out[split] = results[start : start + len(jobs[split])]
        start += len(jobs[split])
    check_disjoint(out)
    return out
