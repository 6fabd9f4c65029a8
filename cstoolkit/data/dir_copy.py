"""Carry the per-utterance tables of a Kaldi data directory over to a new directory that holds new audio for some
of its utterances (corrupted or resynthesised): transcripts, speakers, language tags and segments are copied for
the kept utterances, ``spk2utt`` and ``manifest.jsonl`` rebuilt with the new audio paths and durations."""

from __future__ import annotations

import json
from pathlib import Path

from cstoolkit.core.atomic import atomic_write_lines
from cstoolkit.data.kaldi_dir import MANIFEST_FILE, SEGMENTS_FILE
from cstoolkit.data.validate import FEATURE_FILES, FINGERPRINT_FILE, STATS_FILE

#: files of the source directory written anew for the new audio
_REWRITTEN = {"wav.scp", "utt2dur", "spk2utt", MANIFEST_FILE}
#: files of the source directory that do not describe the new audio (features are recomputed when asked)
_NOT_CARRIED = {*FEATURE_FILES, FINGERPRINT_FILE, STATS_FILE, "corrupt.json", "reco2dur", "prepare_report.json"}


def _filtered_copy(src: Path, dst: Path, keep: set[str]) -> bool:
    """Copy ``<key> ...`` lines (or JSON lines with an "id") whose key is in ``keep``; False for other files."""
    try:
        text = src.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if src.suffix == ".jsonl":
            try:
                key = json.loads(line).get("id")
            except (ValueError, AttributeError):
                return False
        else:
            key = line.split(maxsplit=1)[0]
        if key in keep:
            lines.append(line)
    atomic_write_lines(dst, lines)
    return True


def copy_tables(
    src: Path, dst: Path, keep: set[str], utt2spk: dict[str, str], final: Path, durations: dict[str, float]
) -> list[str]:
    """Carry the per-utterance files of ``src`` over to ``dst`` for the utterances in ``keep``; rebuild spk2utt and
    the manifest (new audio path and duration). Returns the names of files not carried over."""
    not_copied = []
    speakers = {utt2spk[u] for u in keep if u in utt2spk}
    for entry in sorted(src.iterdir()):
        name = entry.name
        if name in _REWRITTEN or name.startswith("."):
            continue
        per_utterance = name.startswith(("text", "utt2")) or name == SEGMENTS_FILE
        copied = False
        if entry.is_file() and name not in _NOT_CARRIED and (per_utterance or name.startswith("spk2")):
            copied = _filtered_copy(entry, dst / name, keep if per_utterance else speakers)
        if not copied:
            not_copied.append(name)
    if utt2spk:
        spk2utt: dict[str, list[str]] = {}
        for uttid in sorted(keep):
            if uttid in utt2spk:
                spk2utt.setdefault(utt2spk[uttid], []).append(uttid)
        atomic_write_lines(dst / "spk2utt", [f"{s} {' '.join(u)}" for s, u in sorted(spk2utt.items())])
    manifest = src / MANIFEST_FILE
    if manifest.is_file():
        lines = []
        for line in manifest.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("id") in keep:
                uttid = record["id"]
                record.update(audio=str(final / "wav" / f"{uttid}.wav"), duration=round(durations[uttid], 3))
                lines.append(json.dumps(record, ensure_ascii=False))
        atomic_write_lines(dst / MANIFEST_FILE, lines)
    return not_copied
