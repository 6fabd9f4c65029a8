"""SwitchLingua release csvs -> usable rows (:class:`Item`): columns found under their many spellings, texts
cleaned (multi-turn cells, markdown emphasis), languages checked against the script, ids made; every row that
cannot be used is reported with its reason (:class:`Report`)."""

from __future__ import annotations

import ast
import csv
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cstoolkit.data.lang_tags import compatible, languages_by_script
from cstoolkit.errors import InputFileError
from cstoolkit.text import NormalizeOptions, normalize

#: release folder name -> ISO code of the language mixed with English
LANGUAGES = {
    "Arabic": "ar",
    "Cantonese": "yue",
    "French": "fr",
    "German": "de",
    "Hindi": "hi",
    "Italian": "it",
    "Japanese": "ja",
    "Korean": "ko",
    "Mandarin": "zh",
    "Russian": "ru",
    "Spanish": "es",
}
#: spellings of language names found in the csv language columns
LANGUAGE_NAMES = {
    **{name.lower(): code for name, code in LANGUAGES.items()},
    **{code: code for code in LANGUAGES.values()},
    **{"chinese": "zh", "mandarin chinese": "zh", "putonghua": "zh", "english": "en", "en": "en"},
}
#: canonical column -> spellings seen in the release (compared after lower-casing, spaces/hyphens -> "_")
COLUMNS = {
    "file": ("file_name", "filename", "audio_file", "audio", "path", "file", "audio_path", "wav"),
    "text": ("text", "data_generation_result", "transcript", "transcription", "sentence"),
    "first_language": ("first_language", "language", "lang", "l1", "matrix_language"),
    "second_language": ("second_language", "l2", "embedded_language"),
    "speaker": ("speaker", "speaker_id", "spk", "spk_id"),
    "conversation_type": ("conversation_type", "conversation"),
}
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)|(?<!\w)_(?=\S)|(?<=\S)_(?!\w)")
_STEM = re.compile(r"^(?P<id>.+)_(?P<k>\d+)$")
_STORE = NormalizeOptions(nfkc=True, casefold=False, punctuation=False, whitespace=True)
_TURN_KEYS = ("text", "content", "utterance", "sentence", "value")
#: bytes that are not UTF-8, as decoded with errors="surrogateescape"
_UNDECODED = re.compile("[\udc80-\udcff]")


@dataclass
class Report:
    """What preparation kept and skipped, written as ``prepare_report.json``."""

    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, item: str, reason: str, **where: Any) -> None:
        self.skipped.append({"item": item, "reason": reason, **where})

    def note(self, item: str, message: str, **where: Any) -> None:
        self.notes.append({"item": item, "note": message, **where})

    def drop_notes(self, where: dict[str, Any]) -> None:
        """Forget the notes about the row at ``where`` (``csv`` and ``line``)."""
        self.notes = [n for n in self.notes if (n.get("csv"), n.get("line")) != (where["csv"], where["line"])]

    def reasons(self) -> dict[str, int]:
        return dict(Counter(re.split(r"[:(]", s["reason"])[0].strip() for s in self.skipped).most_common())


@dataclass
class Item:
    """A csv row that passed the text checks, waiting for its audio."""

    uttid: str
    speaker: str
    speaker_known: bool
    group: str
    lang: str
    text: str
    source: Path
    where: dict[str, Any]
    meta: dict[str, Any]


def canonical(name: str) -> str:
    """Column name as compared: stripped, lower-case, runs of spaces/hyphens as one underscore."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def find_columns(header: list[str]) -> dict[str, str]:
    """Map canonical columns to the header's own spelling (first alias found wins)."""
    by_canon = {canonical(h): h for h in header if h}
    found = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in by_canon:
                found[column] = by_canon[alias]
                break
    return found


def strip_emphasis(text: str) -> str:
    """Remove markdown emphasis markers (``**bold**``, ``__bold__``, ``*it*``, ``_it_``) that are not spoken."""
    return _EMPHASIS.sub("", text)


def parse_text(raw: str, multi_turn: str) -> str:
    """The spoken text of a cell: plain text as is; a dict/list of turns (multi-turn items) joined in order.

    Raises ValueError for a dict-like cell that cannot be parsed, holds no text, or when ``multi_turn`` is "skip".
    """
    raw = raw.strip()
    if not raw or raw[0] not in "{[":
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError("unparseable dict-like text") from None
    turns = _turns(value)
    if not turns:
        raise ValueError("dict-like text holds no turn text")
    if len(turns) > 1 and multi_turn == "skip":
        raise ValueError("multi-turn text (data.switchlingua.multi_turn=skip)")
    return " ".join(turns)


def _turns(value: Any) -> list[str]:
    """Turn texts from the shapes seen in multi-turn cells: dict of speaker->text, list of str or dicts."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        for key in _TURN_KEYS:
            if isinstance(value.get(key), str):
                return _turns(value[key])
        return [t for v in value.values() for t in _turns(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _turns(v)]
    return []


def clean_text(raw: str, multi_turn: str) -> str:
    """Parse, strip emphasis, NFKC and collapse white space (case and punctuation are kept)."""
    return normalize(strip_emphasis(parse_text(raw, multi_turn)), _STORE)


def row_language(row: dict[str, str], columns: dict[str, str]) -> str | None:
    """The non-English language named by the row's language columns, if any is recognisable."""
    for column in ("first_language", "second_language"):
        value = (row.get(columns.get(column, "")) or "").strip().lower()
        code = LANGUAGE_NAMES.get(value)
        if code and code != "en":
            return code
    return None


def _safe(text: str) -> str:
    """``text`` as an id part: runs of characters other than ASCII letters, digits, '.' and '-' become '-'."""
    return re.sub(r"[^0-9A-Za-z.-]+", "-", text).strip("-") or "x"


def speaker_part(text: str) -> str:
    """``text`` as the variable part of a speaker id, one-to-one and free of '-' and of everything sorting before it.

    Utterance ids are ``<speaker>-<suffix>``; Kaldi needs them to sort like their speakers, which holds when every
    character of a speaker id sorts after the '-' that ends it. ASCII letters, digits and '.' are kept; any other
    character becomes ``_<hex code>_`` (so "S1-2" -> "S1_2d_2" and "S1_2" -> "S1_5f_2" stay apart).
    """
    return re.sub(r"[^0-9A-Za-z.]", lambda m: f"_{ord(m.group()):x}_", text) or "x"


def read_release(corpus_dir: Path, cfg: dict[str, Any], report: Report) -> list[Item]:
    """Read every language csv; return usable rows (deduplicated) and report the others."""
    folder_of = {code: name for name, code in LANGUAGES.items()}
    items: dict[str, Item] = {}
    found_any = False
    for name, code in LANGUAGES.items():
        csv_path = next(
            (p for p in (corpus_dir / f"{name}.csv", corpus_dir / name / f"{name}.csv") if p.is_file()), None
        )
        if csv_path is None:
            if (corpus_dir / name).is_dir():
                report.skip(f"{name}/", "no csv for this language folder")
            continue
        found_any = True
        for item in _read_csv(csv_path, code, folder_of, corpus_dir, cfg, report):
            if item.uttid in items:
                kept, dropped = items[item.uttid], item
                if not _own_csv(kept, folder_of) and _own_csv(item, folder_of):  # prefer the language's own csv
                    kept, dropped = item, kept
                items[item.uttid] = kept
                reason = f"duplicate row (kept {kept.where['csv']}:{kept.where['line']})"
                report.skip(str(dropped.source.relative_to(corpus_dir)), reason, **dropped.where)
                report.drop_notes(dropped.where)  # the dropped row is reported once, as a duplicate
                continue
            items[item.uttid] = item
    if not found_any:
        raise InputFileError(corpus_dir, f"no <Language>.csv of the SwitchLingua release ({', '.join(LANGUAGES)})")
    referenced = {item.source.resolve() for item in items.values()}
    skipped_sources = {s["item"] for s in report.skipped}
    for name in LANGUAGES:
        if (corpus_dir / name).is_dir():
            for audio in sorted((corpus_dir / name).glob("*.m4a")):
                rel = f"{name}/{audio.name}"
                if audio.resolve() not in referenced and rel not in skipped_sources:
                    report.skip(rel, "audio without a usable csv row")
    return list(items.values())


def _own_csv(item: Item, folder_of: dict[str, str]) -> bool:
    """True when the item's row comes from the csv of its own language."""
    return Path(item.where["csv"]).stem == folder_of[item.lang]


def _read_csv(
    csv_path: Path, folder_lang: str, folder_of: dict[str, str], corpus_dir: Path, cfg: dict[str, Any], report: Report
) -> list[Item]:
    """Rows of one csv that have a file name, a usable text in a known language, and an audio path."""
    rel_csv = str(csv_path.relative_to(corpus_dir))
    try:
        # undecodable bytes survive as lone surrogates, so one bad byte costs its row only (see _row_item)
        handle = csv_path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        report.skip(rel_csv, f"unreadable csv: {err}")
        return []
    if any(_UNDECODED.search(h) for h in header if h):
        report.skip(rel_csv, "invalid UTF-8 in the header line (csv skipped)", csv=rel_csv, line=1)
        handle.close()
        return []
    columns = find_columns(header)
    missing = [c for c in ("file", "text") if c not in columns]
    if missing:
        report.skip(rel_csv, f"csv lacks column(s) {missing} (header: {header})")
        handle.close()
        return []
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    items = []
    with handle:
        try:
            for row in reader:
                item = _row_item(
                    row, reader.line_num, rel_csv, columns, folder_lang, folder_of, corpus_dir, cfg, report
                )
                if item is not None:
                    items.append(item)
        except (csv.Error, UnicodeDecodeError) as err:
            report.skip(rel_csv, f"csv unreadable after line {reader.line_num}: {err}")
    return items


def _row_item(
    row: dict[str, Any],
    line: int,
    rel_csv: str,
    columns: dict[str, str],
    folder_lang: str,
    folder_of: dict[str, str],
    corpus_dir: Path,
    cfg: dict[str, Any],
    report: Report,
) -> Item | None:
    """One csv row -> an Item, or None after reporting why it cannot be used."""
    where = {"csv": rel_csv, "line": line}
    file_name = Path((row.get(columns["file"]) or "").strip()).name
    label = f"{folder_of[folder_lang]}/{file_name}" if file_name else f"{rel_csv}:{line}"
    if None in row or any(v is None for v in row.values()):
        report.skip(label, "malformed row (wrong number of fields)", **where)
        return None
    if any(_UNDECODED.search(v) for v in row.values()):
        report.skip(f"{rel_csv}:{line}", "invalid UTF-8 in the row (row skipped)", **where)
        return None
    if not file_name:
        report.skip(label, "no audio file name", **where)
        return None
    try:
        text = clean_text(row[columns["text"]] or "", cfg["multi_turn"])
    except ValueError as err:
        report.skip(label, str(err), **where)
        return None
    if not text:
        report.skip(label, "empty transcript", **where)
        return None
    declared = row_language(row, columns) or folder_lang
    lang = declared
    if not compatible(lang, text):
        by_script = languages_by_script(text)
        if len(by_script) == 1 and (by_script <= {"zh", "yue"} and declared in ("zh", "yue")):
            lang = declared
        elif len(by_script) == 1:
            lang = next(iter(by_script))
        else:
            report.skip(
                label, f"text is not {declared}-English (scripts say {sorted(by_script) or 'Latin only'})", **where
            )
            return None
    if lang != folder_lang:
        report.note(
            label, f"row of {folder_of[lang]} in the {folder_of[folder_lang]} csv: prepared as {lang}-en", **where
        )
    source = corpus_dir / folder_of[lang] / file_name
    stem = Path(file_name).stem
    match = _STEM.match(stem)
    group_id = match.group("id") if match else stem
    spk_raw = (row.get(columns.get("speaker", ""), "") or "").strip()
    speaker = f"sl-{lang}-spk{speaker_part(spk_raw)}" if spk_raw else f"sl-{lang}-{speaker_part(group_id)}"
    skip_cols = {columns["file"], columns["text"]}
    meta = {canonical(k): v for k, v in row.items() if k and k not in skip_cols and v not in (None, "")}
    meta.update({"source": f"{folder_of[lang]}/{file_name}", "speaker_known": bool(spk_raw), "corpus": "switchlingua"})
    # unknown speaker: the speaker id is the source text, and the recording index k tells its readings apart
    suffix = _safe(match.group("k")) if match and not spk_raw else _safe(stem)
    return Item(
        uttid=f"{speaker}-{suffix}",
        speaker=speaker,
        speaker_known=bool(spk_raw),
        group=f"{lang}:{group_id}",
        lang=lang,
        text=text,
        source=source,
        where=where,
        meta=meta,
    )
