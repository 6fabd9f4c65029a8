"""``validate_data_dir``: the checks of Kaldi's utils/validate_data_dir.sh, each problem explained in one line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cstoolkit.data.kaldi_dir import KALDI_FILES, MANIFEST_FILE, SEGMENT_JOINER, SEGMENTS_FILE

LANG_TAG = re.compile(r"^[a-z]{2,3}(-[a-z]{2,3})*$")
#: optional per-utterance files written by the features stage
FEATURE_FILES = ("feats.scp", "mel.scp", "utt2num_frames", "feats_shape", "mel_shape")
#: written last by the features stage: feature files without it are left over from an unfinished run
FINGERPRINT_FILE = "features.json"
STATS_FILE = "feats_stats.npz"
#: written last by the prepare stage next to the split directories
REPORT_FILE = "prepare_report.json"
DURATION_TOLERANCE = 0.05  # seconds between utt2dur and the audio header


@dataclass(frozen=True)
class Problem:
    """One finding: the file, optionally a 1-based line, and what is wrong."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


def _text_lines(path: Path, problems: list[Problem]) -> list[tuple[int, str]] | None:
    """Lines of a UTF-8 file as the toolkit's readers split them (at ``\\n`` only), recording a BOM, a carriage
    return, invalid UTF-8 (with its line) and a missing final newline. None when the file cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as err:
        problems.append(Problem(str(path), f"cannot read ({err.strerror})"))
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(str(path), "starts with a UTF-8 byte order mark (Kaldi tools do not expect one)", 1))
        data = data[3:]
    if data and not data.endswith(b"\n"):
        problems.append(Problem(str(path), "last line has no newline"))
    lines = []
    for number, raw in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(Problem(str(path), f"not valid UTF-8 (byte {err.start + 1} of the line)", number))
            continue
        if line.endswith("\r"):
            problems.append(Problem(str(path), "carriage return at the end of the line (use Unix line ends)", number))
            line = line[:-1]
        lines.append((number, line))
    return lines if data else []


def _read_table(path: Path, problems: list[Problem]) -> dict[str, str] | None:
    """Parse a ``<key> <value>`` file, recording every malformed, repeated or unsorted line."""
    lines = _text_lines(path, problems)
    if lines is None:
        return None
    table: dict[str, str] = {}
    previous = None
    for number, line in lines:
        if "\r" in line or "\t" in line:
            problems.append(Problem(str(path), "carriage return or tab in line (use single spaces)", number))
        key, _, value = line.partition(" ")
        if not key or not value.strip():
            problems.append(Problem(str(path), f"expected '<key> <value>', got {line[:60]!r}", number))
            continue
        if value != value.strip() or "  " in value:
            problems.append(Problem(str(path), "leading/trailing or double spaces in value", number))
        if key in table:
            problems.append(Problem(str(path), f"key {key} repeated", number))
        elif previous is not None and key < previous:
            problems.append(Problem(str(path), f"not sorted: {key} after {previous} (sort with LC_ALL=C)", number))
        table[key] = value
        previous = key
    return table


def _compare_keys(name: str, keys: set[str], reference: set[str], ref_name: str, problems: list[Problem]) -> None:
    """Record utterances present in one file and not the other (a few named, the rest counted)."""
    for label, diff in (("missing from", reference - keys), ("not in", keys - reference)):
        if diff:
            shown = ", ".join(sorted(diff)[:3])
            more = f" (+{len(diff) - 3} more)" if len(diff) > 3 else ""
            verb = (
                f"{len(diff)} utterance(s) of {ref_name} {label} {name}"
                if label == "missing from"
                else (f"{len(diff)} key(s) {label} {ref_name}")
            )
            problems.append(Problem(name, f"{verb}: {shown}{more}"))


def validate_data_dir(path: str | Path, check_audio: bool = True, sample_rate: int | None = None) -> list[Problem]:
    """Check a data directory; return every problem found (an empty list means it is valid).

    Checks: required files present; each file UTF-8, ``<key> <value>``, unique and C-sorted keys; the same
    utterances in every per-utterance file; spk2utt the inverse of utt2spk; utterance ids prefixed by speaker ids;
    non-empty transcripts; absolute, existing audio paths whose header duration matches utt2dur; language tags
    like ``zh-en``; segments that spell the transcript; manifest and feature files covering the same utterances;
    feature files only next to the ``features.json`` of a finished features run. With ``check_audio`` the audio
    must be mono (and at ``sample_rate`` Hz when given).
    """
    root = Path(path)
    if not root.is_dir():
        return [Problem(str(root), "not a directory")]
    problems: list[Problem] = []
    tables: dict[str, dict[str, str]] = {}
    for name in (*KALDI_FILES, *FEATURE_FILES):
        file = root / name
        if not file.is_file():
            if name in KALDI_FILES:
                problems.append(Problem(str(file), "required file is missing"))
            continue
        table = _read_table(file, problems)
        if table is not None:
            tables[name] = table
    present = [name for name in (*FEATURE_FILES, STATS_FILE) if (root / name).exists()]
    if present and not (root / FINGERPRINT_FILE).is_file():
        problems.append(
            Problem(
                str(root / present[0]),
                f"{FINGERPRINT_FILE} is missing: feature files "
                f"({', '.join(present)}) of an unfinished features run; run the features stage",
            )
        )
    if (root / STATS_FILE).is_file():
        _check_stats(root / STATS_FILE, problems)
    if "wav.scp" not in tables:
        return problems
    utts = set(tables["wav.scp"])
    if not utts:
        problems.append(Problem(str(root / "wav.scp"), "no utterances"))
    for name, table in tables.items():
        if name not in ("wav.scp", "spk2utt"):
            _compare_keys(str(root / name), set(table), utts, "wav.scp", problems)
    _check_speakers(root, tables, problems)
    _check_values(root, tables, check_audio, sample_rate, problems)
    _check_jsonl(root, root / SEGMENTS_FILE, tables, utts, problems, segments=True)
    _check_jsonl(root, root / MANIFEST_FILE, tables, utts, problems, segments=False)
    return problems


def _check_speakers(root: Path, tables: dict[str, dict[str, str]], problems: list[Problem]) -> None:
    """spk2utt must be the exact inverse of utt2spk, and every utterance id must start with its speaker id."""
    utt2spk = tables.get("utt2spk")
    if utt2spk is None:
        return
    for uttid, spk in utt2spk.items():
        if not uttid.startswith(spk):
            problems.append(Problem(str(root / "utt2spk"), f"utterance {uttid} is not prefixed by speaker {spk}"))
    by_speaker = sorted(utt2spk, key=lambda u: (utt2spk[u], u))
    if by_speaker != sorted(utt2spk):
        first = next(a for a, b in zip(by_speaker, sorted(utt2spk), strict=True) if a != b)
        message = f"sorting by speaker gives another order than by utterance (at {first}): "
        message += "end speaker ids with a separator like '-' that sorts first"
        problems.append(Problem(str(root / "utt2spk"), message))
    spk2utt = tables.get("spk2utt")
    if spk2utt is None:
        return
    inverse: dict[str, list[str]] = {}
    for uttid in sorted(utt2spk):
        inverse.setdefault(utt2spk[uttid], []).append(uttid)
    for spk, value in spk2utt.items():
        listed = value.split()
        if listed != inverse.get(spk, []):
            problems.append(
                Problem(
                    str(root / "spk2utt"),
                    f"speaker {spk} lists {len(listed)} utterance(s), "
                    f"utt2spk gives {len(inverse.get(spk, []))} (or order differs)",
                )
            )
    for spk in set(inverse) - set(spk2utt):
        problems.append(Problem(str(root / "spk2utt"), f"speaker {spk} of utt2spk missing"))


def _check_values(
    root: Path, tables: dict[str, dict[str, str]], check_audio: bool, sample_rate: int | None, problems: list[Problem]
) -> None:
    """Per-file value checks: audio paths, format and durations, language tags, transcripts."""
    import soundfile as sf

    durations = tables.get("utt2dur", {})
    for uttid, audio in tables["wav.scp"].items():
        if audio.endswith("|"):
            problems.append(Problem(str(root / "wav.scp"), f"{uttid}: pipe commands are not supported"))
            continue
        if not Path(audio).is_absolute():
            problems.append(Problem(str(root / "wav.scp"), f"{uttid}: audio path is not absolute: {audio}"))
        if check_audio:
            if not Path(audio).is_file():
                problems.append(Problem(str(root / "wav.scp"), f"{uttid}: audio file not found: {audio}"))
                continue
            try:
                info = sf.info(audio)
                real = info.frames / info.samplerate
            except (RuntimeError, sf.LibsndfileError) as err:
                problems.append(Problem(str(root / "wav.scp"), f"{uttid}: unreadable audio {audio}: {err}"))
                continue
            if info.channels != 1:
                problems.append(Problem(str(root / "wav.scp"), f"{uttid}: {info.channels} channels, expected mono"))
            if sample_rate is not None and info.samplerate != sample_rate:
                problems.append(
                    Problem(
                        str(root / "wav.scp"), f"{uttid}: sampled at {info.samplerate} Hz, expected {sample_rate} Hz"
                    )
                )
            said = durations.get(uttid, "")
            if _is_float(said) and abs(float(said) - real) > DURATION_TOLERANCE:
                problems.append(
                    Problem(str(root / "utt2dur"), f"{uttid}: says {durations[uttid]} s, audio lasts {real:.3f} s")
                )
    for uttid, value in durations.items():
        if not _is_float(value) or float(value) <= 0:
            problems.append(Problem(str(root / "utt2dur"), f"{uttid}: duration must be a positive number: {value}"))
    for uttid, tag in tables.get("utt2lang", {}).items():
        if not LANG_TAG.match(tag):
            problems.append(Problem(str(root / "utt2lang"), f"{uttid}: language tag {tag!r} is not like 'zh-en'"))
    for uttid, value in tables.get("utt2num_frames", {}).items():
        if not value.isdigit() or int(value) <= 0:
            problems.append(Problem(str(root / "utt2num_frames"), f"{uttid}: frame count must be a positive integer"))
        elif uttid in tables.get("feats_shape", {}) and tables["feats_shape"][uttid].split(",")[0] != value:
            problems.append(Problem(str(root / "feats_shape"), f"{uttid}: frames differ from utt2num_frames"))
    for name in ("feats.scp", "mel.scp"):
        arks = {value.rsplit(":", 1)[0] for value in tables.get(name, {}).values()}
        for ark in sorted(a for a in arks if not Path(a).is_file()):
            problems.append(Problem(str(root / name), f"points at a missing ark file: {ark}"))


def _check_stats(path: Path, problems: list[Problem]) -> None:
    """CMVN statistics must count some frames and hold finite sums."""
    import numpy as np

    try:
        with np.load(path) as stats:
            count, sums = int(stats["count"]), [stats["sum"], stats["sum_square"]]
    except (OSError, ValueError, KeyError) as err:
        problems.append(Problem(str(path), f"unreadable CMVN statistics: {err}"))
        return
    if count <= 0 or not all(np.isfinite(a).all() for a in sums):
        problems.append(Problem(str(path), f"CMVN statistics are unusable (count {count}, NaN or infinite sums?)"))


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _check_jsonl(
    root: Path, path: Path, tables: dict[str, dict[str, str]], utts: set[str], problems: list[Problem], segments: bool
) -> None:
    """utt2seg.jsonl / manifest.jsonl: one object per utterance, consistent with ``text``."""
    if not path.is_file():
        problems.append(Problem(str(path), "required file is missing"))
        return
    text = tables.get("text", {})
    seen: set[str] = set()
    for number, line in _text_lines(path, problems) or []:
        try:
            record = json.loads(line)
            uttid = record["id"]
        except (ValueError, KeyError, TypeError) as err:
            problems.append(Problem(str(path), f"not a JSON object with an 'id': {err}", number))
            continue
        if uttid in seen:
            problems.append(Problem(str(path), f"id {uttid} repeated", number))
        seen.add(uttid)
        if segments:
            segs = record.get("segments")
            if not isinstance(segs, list) or not all(isinstance(s, dict) and {"lang", "text"} <= set(s) for s in segs):
                problems.append(Problem(str(path), f"{uttid}: 'segments' must be a list of {{lang, text}}", number))
                continue
            if segs and uttid in text and SEGMENT_JOINER.join(s["text"] for s in segs) != text[uttid]:
                problems.append(Problem(str(path), f"{uttid}: segments do not spell the text in 'text'", number))
        elif uttid in text and record.get("text") != text[uttid]:
            problems.append(Problem(str(path), f"{uttid}: manifest text differs from 'text'", number))
    _compare_keys(str(path), seen, utts, "wav.scp", problems)


def validate_prepared(data_dir: str | Path, splits: list[Path]) -> list[Problem]:
    """Check that a folder of split directories is the complete output of one prepare run.

    ``prepare_report.json`` (written last) must exist and list exactly the ``splits`` present, with their numbers
    of utterances; a missing report means an unfinished or killed prepare.
    """
    root = Path(data_dir)
    report_path = root / REPORT_FILE
    if not report_path.is_file():
        return [Problem(str(report_path), "missing: the prepare stage did not finish here (run it again)")]
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        counts = {name: int(info["utterances"]) for name, info in report["splits"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return [Problem(str(report_path), f"unreadable prepare report: {err}")]
    if report.get("failed"):
        return [Problem(str(report_path), f"the last prepare run failed: {report['failed']}")]
    problems = []
    present = {path.name: path for path in splits}
    for name, count in sorted(counts.items()):
        if count and name not in present:
            problems.append(Problem(str(root / name), f"missing: {REPORT_FILE} lists {count} utterance(s)"))
        elif name in present and (root / name / "wav.scp").is_file():
            table = _read_table(root / name / "wav.scp", [])
            if table is not None and len(table) != count:
                problems.append(
                    Problem(
                        str(root / name / "wav.scp"),
                        f"{len(table)} utterance(s), {REPORT_FILE} says {count}: not from the same "
                        "prepare run (run it again)",
                    )
                )
    for name in sorted(set(present) - set(counts)):
        problems.append(Problem(str(root / name), f"not listed in {REPORT_FILE}: left over from another run"))
    return problems
