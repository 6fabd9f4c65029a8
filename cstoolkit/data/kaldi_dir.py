"""Kaldi data directories: ``wav.scp text utt2spk spk2utt utt2lang utt2dur`` + ``utt2seg.jsonl`` + ``manifest.jsonl``.

Conventions (as in Kaldi/ESPnet): one ``<uttid> <value>`` per line, sorted by the C locale (code point order),
utterance ids prefixed by their speaker id, absolute audio paths. ``utt2seg.jsonl`` holds the word-level language
tags: ``{"id": uttid, "segments": [{"lang": "zh", "text": "..."}, ...]}``; the segment texts joined by single
spaces equal the utterance's ``text``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cstoolkit.core.atomic import atomic_dir, atomic_write_text
from cstoolkit.data.transcripts import iter_text_lines
from cstoolkit.errors import InputFileError

KALDI_FILES = ("wav.scp", "text", "utt2spk", "spk2utt", "utt2lang", "utt2dur")
SEGMENTS_FILE = "utt2seg.jsonl"
MANIFEST_FILE = "manifest.jsonl"
SEGMENT_JOINER = " "


@dataclass
class Utterance:
    """One prepared utterance: the row of every Kaldi file plus free metadata for the manifest."""

    id: str
    speaker: str
    audio: str
    text: str
    lang: str
    duration: float
    segments: list[dict[str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def manifest_record(self) -> dict[str, Any]:
        """The JSON object written to ``manifest.jsonl``."""
        return {
            "id": self.id,
            "speaker": self.speaker,
            "audio": self.audio,
            "duration": round(self.duration, 3),
            "text": self.text,
            "lang": self.lang,
            "segments": self.segments,
            **self.meta,
        }


def segments_text(segments: list[dict[str, str]]) -> str:
    """The transcript that a list of language-tagged segments spells."""
    return SEGMENT_JOINER.join(seg["text"] for seg in segments)


def check_utterance(utt: Utterance) -> None:
    """Raise ValueError when an utterance breaks the directory conventions."""
    if not utt.id or any(ch.isspace() for ch in utt.id) or any(ch.isspace() for ch in utt.speaker):
        raise ValueError(f"utterance/speaker ids must be non-empty without white space: {utt.id!r}")
    if not utt.id.startswith(utt.speaker):
        raise ValueError(f"utterance id {utt.id!r} is not prefixed by its speaker id {utt.speaker!r}")
    if not Path(utt.audio).is_absolute():
        raise ValueError(f"audio path of {utt.id} is not absolute: {utt.audio}")
    if "\n" in utt.text or not utt.text.strip():
        raise ValueError(f"text of {utt.id} is empty or spans lines")
    if utt.segments and segments_text(utt.segments) != utt.text:
        raise ValueError(f"segments of {utt.id} do not spell its text")


def write_data_dir(
    path: str | Path,
    utterances: list[Utterance],
    check: Callable[[Path], None] | None = None,
    extra: dict[str, list[str]] | None = None,
) -> Path:
    """Write a complete data directory atomically (the folder appears whole or not at all); return its path.

    ``extra`` adds files of the given lines (e.g. ``utt2source``) to the same atomic write.

    When the folder already holds exactly this content it is left untouched (with any features inside it).
    ``check`` is called on the written temporary folder before it replaces ``path``; when it raises, ``path`` is
    left as it was.
    """
    utts = sorted(utterances, key=lambda u: u.id)
    ids = [u.id for u in utts]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"duplicate utterance id {dup}")
    for utt in utts:
        check_utterance(utt)
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for utt in utts:
        spk2utt[utt.speaker].append(utt.id)
    files = {
        "wav.scp": [f"{u.id} {u.audio}" for u in utts],
        "text": [f"{u.id} {u.text}" for u in utts],
        "utt2spk": [f"{u.id} {u.speaker}" for u in utts],
        "spk2utt": [f"{s} {' '.join(spk2utt[s])}" for s in sorted(spk2utt)],
        "utt2lang": [f"{u.id} {u.lang}" for u in utts],
        "utt2dur": [f"{u.id} {u.duration:.3f}" for u in utts],
        SEGMENTS_FILE: [json.dumps({"id": u.id, "segments": u.segments}, ensure_ascii=False) for u in utts],
        MANIFEST_FILE: [json.dumps(u.manifest_record(), ensure_ascii=False) for u in utts],
        **(extra or {}),
    }
    contents = {name: "".join(f"{line}\n" for line in lines) for name, lines in files.items()}
    if _unchanged(Path(path), contents):
        return Path(path)  # identical content: keep the folder (and the features computed from it)
    with atomic_dir(path) as tmp:
        for name, text in contents.items():
            atomic_write_text(tmp / name, text)
        if check is not None:
            check(tmp)
    return Path(path)


def _unchanged(path: Path, contents: dict[str, str]) -> bool:
    """True when every file of ``contents`` already exists in ``path`` with exactly that text."""
    try:
        return all((path / name).read_text(encoding="utf-8") == text for name, text in contents.items())
    except (OSError, UnicodeDecodeError):
        return False


def read_kaldi_entries(path: str | Path, allow_empty_value: bool = False) -> dict[str, tuple[int, str]]:
    """Read ``<key> <value>`` lines into ``{key: (line_number, value)}`` (split at the first white space, blank
    lines skipped).

    InputFileError names the file and line of a missing value (unless allowed), a repeated key, invalid UTF-8 or a
    binary file.
    """
    table: dict[str, tuple[int, str]] = {}
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        key, *rest = line.strip().split(maxsplit=1)
        value = rest[0] if rest else ""
        if not value and not allow_empty_value:
            raise InputFileError(path, f"expected '<key> <value>', got {line!r}", line=number)
        if key in table:
            raise InputFileError(path, f"key {key} appears twice (first on line {table[key][0]})", line=number)
        table[key] = (number, value)
    return table


def read_kaldi_file(path: str | Path, allow_empty_value: bool = False) -> dict[str, str]:
    """Read ``<key> <value>`` lines into a dict (see :func:`read_kaldi_entries` for the errors)."""
    return {key: value for key, (_, value) in read_kaldi_entries(path, allow_empty_value).items()}


def read_utt2spk(data_dir: str | Path) -> dict[str, str]:
    """``utt2spk`` of a data directory ({} when it has none)."""
    path = Path(data_dir) / "utt2spk"
    return read_kaldi_file(path) if path.is_file() else {}


def read_kaldi_map(path: str | Path, allow_empty_value: bool = True) -> dict[str, str]:
    """A Kaldi ``key value...`` file whose values may be empty (``hyp.txt``, ``speech_tokens``)."""
    return read_kaldi_file(path, allow_empty_value=allow_empty_value)


def write_kaldi_map(path: str | Path, items: Iterable[tuple[str, str]]) -> None:
    """Atomically write ``key value`` lines sorted by key (Kaldi ``text``/``hyp.txt`` format)."""
    lines = [f"{key} {value}".rstrip() + "\n" for key, value in sorted(items)]
    atomic_write_text(path, "".join(lines))


def read_jsonl_table(path: str | Path) -> dict[str, dict[str, Any]]:
    """``{id: record}`` of a JSON-lines table whose records carry an ``id`` (``manifest.jsonl``, generator output);
    InputFileError naming the file and line for a bad or repeated record."""
    table: dict[str, dict[str, Any]] = {}
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            uttid = record["id"]
        except (ValueError, KeyError, TypeError):
            raise InputFileError(path, "bad JSON line (expected an object with 'id')", line=number) from None
        if uttid in table:
            raise InputFileError(path, f"id {uttid} appears twice", line=number)
        table[uttid] = record
    return table


def read_segments(path: str | Path) -> dict[str, list[dict[str, str]]]:
    """Read ``utt2seg.jsonl`` into ``{uttid: segments}``."""
    table: dict[str, list[dict[str, str]]] = {}
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            uttid, segments = record["id"], record["segments"]
            if not isinstance(uttid, str) or not isinstance(segments, list):
                raise ValueError("'id' must be a string and 'segments' a list")
            if not all(
                isinstance(s, dict) and isinstance(s.get("lang"), str) and isinstance(s.get("text"), str)
                for s in segments
            ):
                raise ValueError("every segment needs a string 'lang' and a string 'text'")
        except (ValueError, KeyError, TypeError) as err:
            raise InputFileError(path, f"bad segment record: {err}", line=number) from None
        if uttid in table:
            raise InputFileError(path, f"id {uttid} appears twice", line=number)
        table[uttid] = segments
    return table


def read_data_dir(path: str | Path) -> list[Utterance]:
    """Read a data directory written by :func:`write_data_dir` (metadata from ``manifest.jsonl`` when present)."""
    path = Path(path)
    for name in ("wav.scp", "text", "utt2spk"):
        if not (path / name).is_file():
            raise InputFileError(path / name, "missing file of the data directory")
    wav = read_kaldi_file(path / "wav.scp")
    text = read_kaldi_file(path / "text")
    spk = read_kaldi_file(path / "utt2spk")
    lang = read_kaldi_file(path / "utt2lang") if (path / "utt2lang").is_file() else {}
    dur = read_kaldi_file(path / "utt2dur") if (path / "utt2dur").is_file() else {}
    seg = read_segments(path / SEGMENTS_FILE) if (path / SEGMENTS_FILE).is_file() else {}
    meta: dict[str, dict[str, Any]] = {}
    if (path / MANIFEST_FILE).is_file():
        for line in (path / MANIFEST_FILE).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            meta[record["id"]] = {
                k: v
                for k, v in record.items()
                if k not in {"id", "speaker", "audio", "duration", "text", "lang", "segments"}
            }
    return [
        Utterance(
            id=uttid,
            speaker=spk.get(uttid, ""),
            audio=wav[uttid],
            text=text.get(uttid, ""),
            lang=lang.get(uttid, ""),
            duration=float(dur.get(uttid, 0.0)),
            segments=seg.get(uttid, []),
            meta=meta.get(uttid, {}),
        )
        for uttid in sorted(wav)
    ]
