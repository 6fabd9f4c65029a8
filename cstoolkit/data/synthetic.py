"""Synthetic training speech: generated code-switched sentences given to the speakers of a data directory, spoken
by a TTS model (or, as the oracle, by the demo corpus's own espeak-ng voices), written as a Kaldi data directory
whose utterances are marked synthetic (``utt2source``).

This is the data half of TTS-augmented CS-ASR: text is easy to generate (``cstk generate-text``), speech is not.
Every sentence gets one speaker of ``speakers_from`` (round robin per language pair, the pair's turn offset by its
index), so the synthetic set spreads over the training voices as the real one does. A sentence equal to one of a
held-out set (dev, test, test_novel) is refused before anything is spoken: a model trained on it would be scored
on its own training text. How many generated sentences share a *structure* (the generator's frame) with each
held-out set is reported, since that is what a gain on those sets may come from.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cstoolkit.data.kaldi_dir import (
    MANIFEST_FILE,
    SEGMENTS_FILE,
    Utterance,
    read_jsonl_table,
    read_kaldi_file,
    read_segments,
    read_utt2spk,
    write_data_dir,
)
from cstoolkit.errors import InputFileError
from cstoolkit.text import normalize

log = logging.getLogger(__name__)

SOURCE_FILE = "utt2source"  # uttid -> real | tts | espeak (or any engine name)
REPORT_FILE = "synthetic.json"


@dataclass(frozen=True)
class Script:
    """One sentence to speak: its new utterance id, speaker, language pair, segments and generator record."""

    id: str
    speaker: str
    lang: str
    text: str
    segments: list[dict[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)  # kind, frame (the generator's ``source``), sentence id


def read_sentences(text_dir: str | Path) -> list[dict[str, Any]]:
    """The sentences of a ``cstk generate-text`` folder (``text``, ``utt2lang``, ``utt2seg.jsonl``, and the kind
    and frame of ``sentences.jsonl`` when present), sorted by id. InputFileError naming a missing or bad file."""
    text_dir = Path(text_dir)
    texts = read_kaldi_file(text_dir / "text")
    langs = read_kaldi_file(text_dir / "utt2lang")
    segments = read_segments(text_dir / SEGMENTS_FILE)
    records = read_jsonl_table(text_dir / "sentences.jsonl") if (text_dir / "sentences.jsonl").is_file() else {}
    out = []
    for sid in sorted(texts):
        for table, name in ((langs, "utt2lang"), (segments, SEGMENTS_FILE)):
            if sid not in table:
                raise InputFileError(text_dir / name, f"no entry for {sid} (listed in {text_dir / 'text'})")
        record = records.get(sid, {})
        meta = {"sentence": sid, **{k: record[k] for k in ("kind", "source") if k in record}}
        if "source" in meta:
            meta["frame"] = meta.pop("source")
        out.append({"id": sid, "lang": langs[sid], "text": texts[sid], "segments": segments[sid], "meta": meta})
    return out


def assign_speakers(sentences: list[dict[str, Any]], speakers: list[str]) -> list[Script]:
    """Give every sentence one of ``speakers`` in turn within its language pair (the pair's first turn is offset by
    the pair's index, so pairs do not all start with the same voice). Utterance ids are ``<speaker>-<sentence id>``
    (Kaldi: speaker-prefixed, so sorting by id groups a speaker's utterances)."""
    if not speakers:
        raise ValueError("no speakers to give the sentences to")
    by_pair: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sentence in sentences:
        by_pair[sentence["lang"]].append(sentence)
    scripts = []
    for p_index, pair in enumerate(sorted(by_pair)):
        for s_index, sentence in enumerate(by_pair[pair]):
            spk = speakers[(s_index + p_index) % len(speakers)]
            scripts.append(
                Script(f"{spk}-{sentence['id']}", spk, pair, sentence["text"], sentence["segments"], sentence["meta"])
            )
    return scripts


def held_out_clashes(texts: Iterable[str], held_out: Iterable[str | Path]) -> list[tuple[str, Path]]:
    """``(sentence, data dir)`` for every text that equals, after SAER normalisation, a sentence of a held-out data
    directory."""
    keys = {normalize(t): t for t in texts}
    clashes = []
    for folder in map(Path, held_out):
        for text in read_kaldi_file(folder / "text", allow_empty_value=True).values():
            key = normalize(text)
            if key in keys:
                clashes.append((keys[key], folder))
    return clashes


def check_held_out(texts: Iterable[str], held_out: Iterable[str | Path], what: str | Path) -> None:
    """InputFileError naming ``what`` when any of ``texts`` is a sentence of a held-out data directory."""
    clashes = held_out_clashes(texts, held_out)
    if clashes:
        sentence, folder = clashes[0]
        raise InputFileError(
            what,
            f"{len(clashes)} sentence(s) equal sentences of held-out data, e.g. {sentence!r} of {folder}: "
            "exclude them (cstk generate-text --exclude) before training on them",
        )


def frame_overlap(frames: Iterable[str | None], held_out: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """Per held-out data directory whose ``manifest.jsonl`` records frames: how many of ``frames`` (one per
    generated sentence) are a frame of its sentences, and how many of its frames the generated text covers."""
    frames = [f for f in frames if f]
    counts = Counter(frames)
    out = {}
    for folder in map(Path, held_out):
        manifest = folder / MANIFEST_FILE
        if not manifest.is_file():
            continue
        theirs = Counter(r["frame"] for r in read_jsonl_table(manifest).values() if r.get("frame"))
        if not theirs:
            continue
        shared = set(theirs) & set(counts)
        out[folder.name] = {
            "generated_sentences_of_its_frames": sum(counts[f] for f in shared),
            "generated_sentences": len(frames),
            "its_frames": len(theirs),
            "its_frames_covered": len(shared),
            "its_utterances_of_covered_frames": sum(theirs[f] for f in shared),
            "its_utterances": sum(theirs.values()),
        }
    return out


def write_script_dir(scripts: list[Script], folder: Path) -> None:
    """The text tables of ``scripts`` (no audio): what ``cstk synthesize --data-dir`` speaks."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = sorted(scripts, key=lambda s: s.id)
    tables = {
        "text": [f"{s.id} {s.text}" for s in rows],
        "utt2spk": [f"{s.id} {s.speaker}" for s in rows],
        "utt2lang": [f"{s.id} {s.lang}" for s in rows],
        SEGMENTS_FILE: [json.dumps({"id": s.id, "segments": s.segments}, ensure_ascii=False) for s in rows],
    }
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for s in rows:
        spk2utt[s.speaker].append(s.id)
    tables["spk2utt"] = [f"{spk} {' '.join(ids)}" for spk, ids in sorted(spk2utt.items())]
    for name, lines in tables.items():
        (folder / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


#: an engine speaks scripts into a folder and returns {uttid: audio path} and {uttid: why it was left out}
Engine = Callable[[list[Script], Path], tuple[dict[str, str], dict[str, str]]]


def make_synthetic_dir(
    text_dir: str | Path,
    speakers_from: str | Path,
    out_dir: str | Path,
    engine: Engine,
    source: str,
    held_out: Iterable[str | Path] = (),
    limit: int | None = None,
) -> dict[str, Any]:
    """Speak the sentences of ``text_dir`` in the voices of ``speakers_from`` with ``engine`` into the data
    directory ``out_dir`` (``wav.scp text utt2spk spk2utt utt2lang utt2dur utt2seg.jsonl manifest.jsonl`` plus
    ``utt2source`` = ``source`` and ``synthetic.json``); the audio goes to ``<out_dir's parent>/audio/<name>``.

    ``limit`` keeps the first sentences of each pair in turn (id order) up to that many in all. Refused (before
    anything is spoken) when a sentence equals one of ``held_out``. The folder is written whole at the end, so a
    killed run never leaves one that looks finished. Returns the report written to ``synthetic.json``.
    """
    text_dir, out_dir = Path(text_dir), Path(out_dir)
    sentences = read_sentences(text_dir)
    if limit is not None:
        sentences = _balanced_first(sentences, limit)
    held_out = [Path(h) for h in held_out]
    check_held_out([s["text"] for s in sentences], held_out, text_dir / "text")
    speakers = sorted(set(read_utt2spk(speakers_from).values()))
    scripts = assign_speakers(sentences, speakers)
    audio_dir = out_dir.parent / "audio" / out_dir.name
    audio, skipped = engine(scripts, audio_dir)
    from cstoolkit.data.audio import duration_of

    utts = [
        Utterance(
            id=s.id,
            speaker=s.speaker,
            audio=str(Path(audio[s.id]).resolve()),
            text=s.text,
            lang=s.lang,
            duration=duration_of(audio[s.id]),
            segments=s.segments,
            meta={**s.meta, "source": source},
        )
        for s in scripts
        if s.id in audio
    ]
    if not utts:
        raise InputFileError(text_dir / "text", f"nothing was spoken ({len(skipped)} sentences left out)")
    report = {
        "source": source,
        "text_dir": str(text_dir.resolve()),
        "speakers_from": str(Path(speakers_from).resolve()),
        "sentences": len(scripts),
        "utterances": len(utts),
        "hours": round(sum(u.duration for u in utts) / 3600, 4),
        "speakers": len({u.speaker for u in utts}),
        "per_pair": dict(sorted(Counter(u.lang for u in utts).items())),
        "skipped": skipped,
        "frame_overlap": frame_overlap([s.meta.get("frame") for s in scripts], held_out),
    }
    write_data_dir(
        out_dir,
        utts,
        extra={
            SOURCE_FILE: [f"{u.id} {source}" for u in sorted(utts, key=lambda u: u.id)],
            REPORT_FILE: [json.dumps(report, ensure_ascii=False, indent=1)],
        },
    )
    log.info(
        "%s: %d utterances (%.2f h) spoken by %s in %d voices; %d left out",
        out_dir,
        len(utts),
        report["hours"],
        source,
        report["speakers"],
        len(skipped),
    )
    return report


def _balanced_first(sentences: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first sentences of each language pair in turn, ``limit`` in all (so every pair keeps its share)."""
    by_pair: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sentences:
        by_pair[s["lang"]].append(s)
    out: list[dict[str, Any]] = []
    queues = [list(v) for _, v in sorted(by_pair.items())]
    while len(out) < limit and any(queues):
        for queue in queues:
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return sorted(out, key=lambda s: s["id"])


def espeak_engine(mini_cfg: dict[str, Any], num_jobs: int = 1) -> Engine:
    """The oracle engine: each sentence spoken by espeak-ng in the demo corpus's own voice of its speaker (as
    ``cstk prepare`` makes the generated world, ``data.mini``), i.e. what recordings of the generated text by the
    training speakers would give. Only for speakers of the demo world; InputFileError otherwise."""

    def speak(scripts: list[Script], audio_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
        from cstoolkit.data.corpora.mini import Sentence, SynthJob, _cache_key, run_jobs
        from cstoolkit.data.corpora.mini_voices import make_voices

        voices = {v["id"]: v for split in make_voices(mini_cfg).speakers.values() for v in split}
        unknown = sorted({s.speaker for s in scripts} - set(voices))
        if unknown:
            raise InputFileError(
                "utt2spk", f"speaker {unknown[0]} is not a voice of the demo world: espeak speaks only its voices"
            )
        jobs = []
        for s in scripts:
            segments = tuple((seg["lang"], seg["text"]) for seg in s.segments)
            sentence = Sentence(s.lang, s.meta.get("sentence", s.id), segments, frozenset())
            name = f"{s.id}.{_cache_key(mini_cfg, voices[s.speaker], sentence)}.{mini_cfg['audio_format']}"
            jobs.append(SynthJob(s.id, dict(voices[s.speaker]), sentence, str(audio_dir / s.lang / name)))
        spoken = run_jobs({"synthetic": jobs}, mini_cfg, num_jobs)["synthetic"]
        return {u.id: u.audio for u in spoken}, {}

    return speak
