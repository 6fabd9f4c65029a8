"""SwitchLingua audio release -> Kaldi data directories (``prepare_switchlingua``), surviving its known defects.

Release layout: ``<Language>.csv`` (next to or inside ``<Language>/``) and ``<Language>/<id>_<k>.m4a``. The csv
columns are spelled differently per language; rows map to audio through a file-name column (read by
:mod:`cstoolkit.data.corpora.switchlingua_csv`; its names are importable from here too). Every item that cannot
be used (corrupt/missing audio, empty or unparseable text, a row whose text is not in its language, audio whose
length does not fit its text, duplicates) is skipped with its reason and reported; the run never stops for one.
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from pathlib import Path
from typing import Any

from cstoolkit.data.audio import duration_of, load_audio, write_audio
from cstoolkit.data.corpora.switchlingua_csv import (
    COLUMNS,
    LANGUAGE_NAMES,
    LANGUAGES,
    Item,
    Report,
    canonical,
    clean_text,
    find_columns,
    parse_text,
    read_release,
    row_language,
    speaker_part,
    strip_emphasis,
)
from cstoolkit.data.kaldi_dir import Utterance, segments_text
from cstoolkit.data.lang_tags import segment_by_script
from cstoolkit.data.parallel import parallel_map
from cstoolkit.data.splits import disjoint_split
from cstoolkit.errors import CstkError, InputFileError
from cstoolkit.text import normalize, split_units

__all__ = [
    "COLUMNS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Item",
    "Report",
    "canonical",
    "clean_text",
    "convert_audio",
    "find_columns",
    "parse_text",
    "prepare_switchlingua",
    "read_release",
    "row_language",
    "speaker_part",
    "strip_emphasis",
]

log = logging.getLogger(__name__)


def convert_audio(item: Item, audio_dir: str, cfg: dict[str, Any]) -> tuple[str, float | None, str]:
    """Decode one .m4a (PyAV), resample to 16 kHz mono, write FLAC (cached by source size/mtime).

    Returns ``(flac_path, duration, "")`` or ``("", None, reason)``; never raises for bad audio.
    """
    try:
        stat = item.source.stat()
    except OSError:
        return "", None, "audio file missing"
    key = hashlib.sha1(f"{item.source}|{stat.st_size}|{stat.st_mtime_ns}|{cfg['sample_rate']}".encode()).hexdigest()
    dest = Path(audio_dir) / item.lang / f"{item.uttid}.{key[:10]}.{cfg['audio_format']}"
    if not dest.is_file():
        try:
            samples, rate = load_audio(item.source, cfg["sample_rate"])
        except CstkError as err:
            return "", None, f"corrupt audio: {getattr(err, 'message', err)}"
        except Exception as err:  # a damaged container can raise anything from inside FFmpeg bindings
            return "", None, f"corrupt audio: {type(err).__name__}: {err}"
        duration = samples.size / rate
        if not cfg["min_duration"] <= duration <= cfg["max_duration"]:
            return "", None, f"duration out of range: {duration:.2f} s"
        write_audio(dest, samples, rate, cfg["audio_format"])
    return str(dest.resolve()), duration_of(dest), ""


def prepare_switchlingua(
    corpus_dir: str | Path, output_dir: str | Path, cfg: dict[str, Any], num_jobs: int = 1
) -> tuple[dict[str, list[Utterance]], dict[str, Any]]:
    """Prepare the release in ``corpus_dir``; audio goes to ``<output_dir>/audio/switchlingua``.

    Returns the utterances per split and the report (kept/skipped with reasons). ``cfg`` holds the keys of
    ``conf/data/common.yaml`` and ``conf/data/switchlingua.yaml``.
    """
    corpus_dir = Path(corpus_dir).resolve()
    if not corpus_dir.is_dir():
        raise InputFileError(corpus_dir, "SwitchLingua release folder not found")
    report = Report()
    items = read_release(corpus_dir, cfg, report)
    audio_dir = Path(output_dir).resolve() / "audio" / "switchlingua"
    results = parallel_map(partial(convert_audio, audio_dir=str(audio_dir), cfg=cfg), items, num_jobs, "decode")
    kept: list[tuple[Item, str, float]] = []
    for item, (path, duration, reason) in zip(items, results, strict=True):
        label = str(item.source.relative_to(corpus_dir))
        if reason:
            report.skip(label, reason, **item.where)
            continue
        units = len(split_units(normalize(item.text)))
        rate = units / duration
        if not cfg["min_units_per_second"] <= rate <= cfg["max_units_per_second"]:
            report.skip(label, f"audio/text mismatch: {units} units in {duration:.2f} s", **item.where)
            continue
        kept.append((item, path, duration))
    assignment = disjoint_split(
        ((i.uttid, i.speaker if i.speaker_known else None, i.group) for i, _, _ in kept),
        cfg["dev_ratio"],
        cfg["test_ratio"],
        cfg["seed"],
    )
    splits: dict[str, list[Utterance]] = {"train": [], "dev": [], "test": []}
    for item, path, duration in kept:
        segments = segment_by_script(item.text, item.lang)
        splits[assignment[item.uttid]].append(
            Utterance(
                id=item.uttid,
                speaker=item.speaker,
                audio=path,
                text=segments_text(segments),
                lang=f"{item.lang}-en",
                duration=duration,
                segments=segments,
                meta=item.meta,
            )
        )
    summary = {
        "corpus": "switchlingua",
        "corpus_dir": str(corpus_dir),
        "kept": len(kept),
        "skipped": len(report.skipped),
        "skipped_by_reason": report.reasons(),
        "skipped_items": report.skipped,
        "notes": report.notes,
    }
    return splits, summary
