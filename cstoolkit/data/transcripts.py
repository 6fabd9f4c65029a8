"""Reading transcript files (Kaldi ``uttid text``, TSV, JSON lines, plain) and side files, with precise errors.

Odd but valid input is accepted: a UTF-8 BOM, CRLF line ends, tabs between id and text, blank lines, unsorted ids,
an id without text (an empty transcript). Everything else raises InputFileError naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cstoolkit.errors import InputFileError

TranscriptFormat = Literal["kaldi", "tsv", "jsonl", "plain"]
FORMATS: tuple[str, ...] = ("kaldi", "tsv", "jsonl", "plain")
_BINARY_PROBE_BYTES = 8192
_JSON_ID_KEYS = ("id", "utt_id", "uttid", "key")


@dataclass
class Transcripts:
    """Utterance id -> text, in file order, with the line each id came from."""

    path: str
    texts: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)


def iter_text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` of a UTF-8 text file without line ends; BOM removed.

    Raises InputFileError for a missing/unreadable/binary file or a line that is not valid UTF-8.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a directory, expected a text file") from None
    except PermissionError:
        raise InputFileError(path, "permission denied") from None
    except OSError as err:
        raise InputFileError(path, f"cannot read ({err.strerror})") from None
    if b"\x00" in data[:_BINARY_PROBE_BYTES]:
        raise InputFileError(path, "looks like a binary file (NUL bytes), expected UTF-8 text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    for number, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputFileError(path, f"invalid UTF-8 (byte {err.start + 1} of the line)", number) from None
        yield number, line.rstrip("\r").lstrip("\ufeff")  # a BOM inside: files joined with cat


def _parse_line(path: Path, number: int, line: str, fmt: TranscriptFormat) -> tuple[str, str] | None:
    """One line -> (id, text), or None for a line that holds nothing."""
    if fmt == "plain":
        return str(number), line
    if not line.strip():
        return None
    if fmt == "jsonl":
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputFileError(path, f"not valid JSON ({err.msg})", number) from None
        if not isinstance(record, dict):
            raise InputFileError(path, "expected a JSON object with 'id' and 'text'", number)
        key = next((k for k in _JSON_ID_KEYS if k in record), None)
        if key is None or "text" not in record:
            raise InputFileError(path, "JSON object needs an 'id' and a 'text' field", number)
        text = record["text"]
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InputFileError(path, "'text' must be a string", number)
        if not isinstance(record[key], (str, int)) or isinstance(record[key], bool):
            raise InputFileError(path, f"'{key}' must be a string or a number", number)
        return str(record[key]), text
    if fmt == "tsv":
        uttid, tab, text = line.partition("\t")
        if not tab and len(uttid.split()) > 1:
            raise InputFileError(path, "no tab between id and text (--format tsv)", number)
        return uttid.strip(), text
    parts = line.strip().split(maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def read_transcripts(path: str | Path, fmt: TranscriptFormat = "kaldi") -> Transcripts:
    """Read a transcript file. ``plain`` numbers lines 1, 2, ... (blank lines are empty transcripts).

    Raises InputFileError on malformed content and on a duplicate id (naming both lines).
    """
    if fmt not in FORMATS:
        raise InputFileError(path, f"unknown transcript format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    result = Transcripts(str(path))
    for number, line in iter_text_lines(path):
        parsed = _parse_line(path, number, line, fmt)
        if parsed is None:
            continue
        uttid, text = parsed
        if not uttid:
            raise InputFileError(path, "empty utterance id", number)
        if uttid in result.texts:
            raise InputFileError(
                path, f"duplicate utterance id {uttid!r} (first on line {result.lines[uttid]})", number
            )
        result.texts[uttid] = text
        result.lines[uttid] = number
    return result


def read_utt2tag(path: str | Path) -> dict[str, str]:
    """Read a Kaldi-style ``uttid tag`` side file (utt2lang, utt2spk). Every line needs both fields."""
    tags = read_transcripts(path, "kaldi")
    for uttid, tag in tags.texts.items():
        if not tag.strip():
            raise InputFileError(path, f"utterance {uttid!r} has no tag", tags.lines[uttid])
    return {uttid: tag.strip() for uttid, tag in tags.texts.items()}


def pair_transcripts(
    ref: Transcripts, hyp: Transcripts, missing: Literal["error", "empty"] = "error", positional: bool = False
) -> tuple[list[str], list[str], list[str]]:
    """Match hypotheses to references by id, in reference order -> (ids, ref texts, hyp texts).

    ``missing="empty"`` scores a reference without hypothesis as an empty hypothesis; ids only in the hypothesis
    file are always an error (they cannot be scored). ``positional`` (plain format) requires equal line counts.
    """
    if positional and len(ref) != len(hyp):
        raise InputFileError(
            hyp.path, f"has {len(hyp)} lines but {ref.path} has {len(ref)}; the plain format pairs lines by position"
        )
    only_ref = [u for u in ref.texts if u not in hyp.texts]
    only_hyp = [u for u in hyp.texts if u not in ref.texts]
    if only_hyp:
        raise InputFileError(hyp.path, f"{len(only_hyp)} id(s) not in the reference {ref.path}: {_few(only_hyp)}")
    if only_ref and missing == "error":
        raise InputFileError(
            hyp.path,
            f"{len(only_ref)} reference id(s) have no hypothesis: {_few(only_ref)} (use --missing empty to score "
            "them as empty)",
        )
    ids = list(ref.texts)
    return ids, [ref.texts[u] for u in ids], [hyp.texts.get(u, "") for u in ids]


def _few(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f", ... (+{len(ids) - limit} more)" if len(ids) > limit else "")
