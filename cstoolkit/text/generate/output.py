"""Files in and out: sentences to exclude (a Kaldi ``text`` file or JSON lines), the output folder (written whole,
atomically) and its summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cstoolkit.core.atomic import atomic_dir, atomic_write_json, atomic_write_lines
from cstoolkit.errors import InputFileError
from cstoolkit.text import normalize, split_units
from cstoolkit.text.generate.generator import Result
from cstoolkit.text.generate.measure import sentence_key

#: the files of an output folder
FILES = ("text", "utt2seg.jsonl", "utt2lang", "utt2kind", "sentences.jsonl", "generation.json", "summary.json")
CMI_BIN = 5


def read_exclude(paths: Iterable[str | Path]) -> frozenset[str]:
    """Keys of the sentences in ``paths``: a Kaldi ``text`` file (``uttid sentence`` lines; a data folder stands for
    its ``text``) or JSON lines (each a sentence string, or an object with ``text`` or ``segments``, as
    ``utt2seg.jsonl``, ``manifest.jsonl`` and generator output). InputFileError naming the file (and line)."""
    keys: set[str] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            if not (path / "text").is_file():
                raise InputFileError(path, "is a folder without a Kaldi 'text' file")
            path = path / "text"
        keys.update(_keys_of(path))
    return frozenset(keys)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except PermissionError:
        raise InputFileError(path, "permission denied") from None
    except OSError as err:
        raise InputFileError(path, f"cannot read ({err.strerror})") from None
    if b"\x00" in data[:8192]:
        raise InputFileError(path, "looks like a binary file (NUL bytes), expected UTF-8 text")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(path, "invalid UTF-8", data[: err.start].count(b"\n") + 1) from None


def _keys_of(path: Path) -> set[str]:
    lines = _read_text(path).splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    as_json = first.startswith(("{", '"'))
    keys = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if as_json:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputFileError(path, f"malformed JSON ({err.msg})", number) from None
            sentence = _sentence_of(record)
            if sentence is None:
                raise InputFileError(path, 'expected a JSON string or an object with "text" or "segments"', number)
        else:
            fields = line.split(maxsplit=1)
            sentence = fields[1] if len(fields) > 1 else ""
        key = sentence_key(sentence)
        if key:
            keys.add(key)
    return keys


def _sentence_of(record: Any) -> str | None:
    if isinstance(record, str):
        return record
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("text"), str):
        return record["text"]
    segments = record.get("segments")
    if isinstance(segments, list) and all(isinstance(s, dict) and isinstance(s.get("text"), str) for s in segments):
        return " ".join(s["text"] for s in segments)
    return None


def summarize(result: Result) -> dict[str, Any]:
    """``summary.json``: sentences per kind and pair, the CMI histogram (bins of 5), the switch-count histogram,
    word types (distinct units) per language, distinct units and mean CMI per pair."""
    sentences = result.sentences
    per_kind = Counter(s.kind for s in sentences)
    cmi_counts = [0] * (50 // CMI_BIN)
    for s in sentences:
        cmi_counts[min(int(s.cmi // CMI_BIN), len(cmi_counts) - 1)] += 1
    switches = Counter(s.analysis.switches for s in sentences)
    types: dict[str, set[str]] = {}
    pair_units: dict[str, set[str]] = {}
    for s in sentences:
        for unit, lang in zip(s.analysis.units, s.analysis.unit_langs):
            pair_units.setdefault(s.pair, set()).add(unit)
            if lang is not None:
                types.setdefault(lang, set()).add(unit)
    per_pair = {}
    for pair, kinds in result.counts().items():
        mine = [s for s in sentences if s.pair == pair]
        per_pair[pair] = {
            "sentences": len(mine),
            "per_kind": kinds,
            "distinct_units": len(pair_units.get(pair, ())),
            "mean_cmi": round(sum(s.cmi for s in mine) / len(mine), 2) if mine else None,
        }
    return {
        "sentences": len(sentences),
        "per_kind": {kind: per_kind[kind] for kind in result.settings.kinds},
        "per_pair": per_pair,
        "cmi": {
            "mean": round(sum(s.cmi for s in sentences) / len(sentences), 2) if sentences else None,
            "bin_edges": list(range(0, 51, CMI_BIN)),
            "counts": cmi_counts,
        },
        "switches": {str(n): switches[n] for n in sorted(switches)},
        "word_types": {lang: len(units) for lang, units in sorted(types.items())},
        "distinct_units": len(set().union(*pair_units.values())) if pair_units else 0,
    }


def distinct_units(texts: Iterable[str]) -> set[str]:
    """The distinct scoring units of ``texts`` (SAER's: :func:`split_units` of :func:`normalize`)."""
    return {unit for text in texts for unit in split_units(normalize(text))}


def generation_record(result: Result) -> dict[str, Any]:
    """``generation.json``: settings, where the sentences came from, counts per pair and kind, shortfalls, kinds
    that do not apply, skipped candidates and rejected command lines with their reasons."""
    return {
        "tool": "cstk generate-text",
        "source": result.source,
        "command": result.command,
        "settings": result.settings.to_dict(),
        "sentences": len(result.sentences),
        "counts": result.counts(),
        "shortfalls": result.shortfalls,
        "not_applicable": result.not_applicable,
        "skipped": dict(sorted(result.skipped.items())),
        "rejected": result.rejected,
    }


def write_output(out_dir: str | Path, result: Result, extra: Callable[[Path, dict[str, Any]], None] | None = None):
    """Write the output folder atomically (it appears whole or not at all): ``text``, ``utt2seg.jsonl``,
    ``utt2lang`` (the pair), ``utt2kind``, ``sentences.jsonl`` (every field of every sentence), ``generation.json``
    and ``summary.json``; ``extra(tmp_folder, summary)`` may add files (the CLI's ``summary.png``) before the
    folder is renamed into place. A folder that exists, is not empty and holds no ``generation.json`` is refused
    (InputFileError): it is not an earlier output, and would be replaced whole. Returns the summary."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(out_dir, "exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "generation.json").is_file():
        raise InputFileError(out_dir, "is not empty and not an earlier generate-text output; choose a new folder")
    sentences = sorted(result.sentences, key=lambda s: s.id)
    summary = summarize(result)
    with atomic_dir(out_dir) as tmp:
        atomic_write_lines(tmp / "text", [f"{s.id} {s.text}" for s in sentences])
        atomic_write_lines(
            tmp / "utt2seg.jsonl",
            [json.dumps({"id": s.id, "segments": s.segment_dicts()}, ensure_ascii=False) for s in sentences],
        )
        atomic_write_lines(tmp / "utt2lang", [f"{s.id} {s.pair}" for s in sentences])
        atomic_write_lines(tmp / "utt2kind", [f"{s.id} {s.kind}" for s in sentences])
        atomic_write_lines(tmp / "sentences.jsonl", [json.dumps(s.to_dict(), ensure_ascii=False) for s in sentences])
        atomic_write_json(tmp / "generation.json", generation_record(result))
        atomic_write_json(tmp / "summary.json", summary)
        if extra is not None:
            extra(tmp, summary)
    return summary
