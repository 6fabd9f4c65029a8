"""Combine data directories into one training set (Kaldi's ``utils/combine_data.sh``, with weights and a filter).

Each source contributes its utterances ``weight`` times: whole copies (the second and later under ids suffixed
``-rK``) plus a seeded sample for the fraction (0.5 = a random half). Every per-utterance table that all sources
have is joined (Kaldi tables by their first field, ``*.jsonl`` by ``id``); ``spk2utt`` is rebuilt, ``utt2source``
says where each utterance came from (``real`` for a source without one), and the first source's CMVN statistics
(``feats_stats.npz``) are copied, so a model fine-tuned on the mix normalises its input as the one it starts from.
Features are not copied: the ``.scp`` lines point at the sources' ark files.

An utterance whose decoding error (``form_error`` of a ``per_utt.tsv`` from ``cstk decode-asr --score``) is above
``max_mer`` can be dropped (the CS-ASR could not read it back), and the combination is refused when any of its
sentences is a sentence of a held-out data directory (dev, test): the model would be scored on its training text.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cstoolkit.core.atomic import atomic_dir, atomic_write_json
from cstoolkit.data.kaldi_dir import read_jsonl_table, read_kaldi_entries
from cstoolkit.data.synthetic import SOURCE_FILE, check_held_out
from cstoolkit.errors import InputFileError

#: tables joined when every source has them (a table of one source only is dropped, and said so)
TABLES = (
    "wav.scp",
    "text",
    "utt2spk",
    "utt2lang",
    "utt2dur",
    "feats.scp",
    "feats_shape",
    "utt2num_frames",
    "mel.scp",
    "mel_shape",
    "utt2kind",
)
JSONL_TABLES = ("utt2seg.jsonl", "manifest.jsonl")
STATS_FILE = "feats_stats.npz"
COMBINE_REPORT = "combine.json"


@dataclass(frozen=True)
class Source:
    """A data directory and how many times its utterances are taken (0.5: a seeded half; 2: twice)."""

    path: Path
    weight: float = 1.0


def read_scores(path: str | Path) -> dict[str, float]:
    """``{uttid: form_error}`` of a ``per_utt.tsv`` (``cstk decode-asr --score``); InputFileError naming the file."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except FileNotFoundError:
        raise InputFileError(path, "no such file (decode the synthetic set with --score first)") from None
    if not rows or "id" not in rows[0] or "form_error" not in rows[0]:
        raise InputFileError(path, "not a per_utt.tsv: expected the columns id and form_error")
    out = {}
    for number, row in enumerate(rows, start=2):
        try:
            out[row["id"]] = float(row["form_error"])
        except (TypeError, ValueError):
            raise InputFileError(path, f"bad form_error {row.get('form_error')!r}", line=number) from None
    return out


def pick(ids: list[str], weight: float, rng: random.Random) -> list[tuple[str, int]]:
    """``(uttid, copy)`` pairs for ``weight`` times ``ids``: ``int(weight)`` whole copies, then a sample of
    ``round(fraction * len(ids))`` more (copy numbers count from 0)."""
    whole = int(weight)
    out = [(u, k) for k in range(whole) for u in ids]
    extra = round((weight - whole) * len(ids))
    out += [(u, whole) for u in sorted(rng.sample(ids, extra))]
    return out


def combine_data_dirs(
    sources: list[Source],
    out_dir: str | Path,
    seed: int = 0,
    held_out: list[str | Path] = (),  # type: ignore[assignment]
    scores: dict[str, float] | None = None,
    max_mer: float | None = None,
) -> dict[str, Any]:
    """Write the combination of ``sources`` into ``out_dir`` (atomically) and return its report (also written to
    ``combine.json``): utterances and hours per source, and what the filter dropped."""
    if not sources:
        raise ValueError("nothing to combine")
    out_dir = Path(out_dir)
    tables = [t for t in TABLES + JSONL_TABLES if all((s.path / t).is_file() for s in sources)]
    for needed in ("text", "utt2spk"):
        if needed not in tables:
            missing = next(s.path / needed for s in sources if not (s.path / needed).is_file())
            raise InputFileError(missing, "missing: every source needs text and utt2spk")
    rng = random.Random(f"cstk-combine|{seed}")
    rows: dict[str, list[str]] = defaultdict(list)
    spk2utt: dict[str, list[str]] = defaultdict(list)
    report: dict[str, Any] = {"sources": [], "tables": tables}
    texts = []
    for source in sources:
        data = {t: _read_table(source.path / t) for t in tables}
        origin = (
            {u: v for u, (_, v) in read_kaldi_entries(source.path / SOURCE_FILE).items()}
            if (source.path / SOURCE_FILE).is_file()
            else {}
        )
        ids = sorted(data["text"])
        dropped = set()
        if scores is not None and max_mer is not None:
            dropped = {u for u in ids if u in scores and scores[u] > max_mer}
            ids = [u for u in ids if u not in dropped]
        chosen = pick(ids, source.weight, rng)
        durations = data.get("utt2dur", {})
        for utt, copy in chosen:
            new = utt if copy == 0 else f"{utt}-r{copy}"
            for table in tables:
                rows[table].append(_renamed(table, data[table][utt], utt, new))
            rows[SOURCE_FILE].append(f"{new} {origin.get(utt, 'real')}")
            spk2utt[data["utt2spk"][utt].split(" ", 1)[1]].append(new)
            texts.append(data["text"][utt].split(" ", 1)[1] if " " in data["text"][utt] else "")
        hours = sum(float(durations[u].split()[1]) for u, _ in chosen) / 3600 if durations else None
        report["sources"].append(
            {
                "path": str(source.path.resolve()),
                "weight": source.weight,
                "utterances_in": len(data["text"]),
                "dropped_by_filter": len(dropped),
                "utterances_out": len(chosen),
                "hours_out": None if hours is None else round(hours, 4),
                "origin": dict(Counter(origin.get(u, "real") for u, _ in chosen)),
            }
        )
    check_held_out(texts, held_out, out_dir)
    report["filter"] = {"max_mer": max_mer} if max_mer is not None and scores is not None else None
    report["utterances"] = len(rows["text"])
    with atomic_dir(out_dir) as tmp:
        for table in [*tables, SOURCE_FILE]:
            key = (lambda line: json.loads(line)["id"]) if table.endswith(".jsonl") else (lambda line: line.split()[0])
            (tmp / table).write_text("".join(f"{r}\n" for r in sorted(rows[table], key=key)), encoding="utf-8")
        (tmp / "spk2utt").write_text(
            "".join(f"{spk} {' '.join(sorted(ids))}\n" for spk, ids in sorted(spk2utt.items())), encoding="utf-8"
        )
        first_stats = sources[0].path / STATS_FILE
        if first_stats.is_file():
            shutil.copy2(first_stats, tmp / STATS_FILE)
        atomic_write_json(tmp / COMBINE_REPORT, report)
    return report


def _read_table(path: Path) -> dict[str, str]:
    """``{uttid: whole line}`` of a Kaldi table or a JSON-lines table (keyed by ``id``)."""
    if path.name.endswith(".jsonl"):
        return {u: json.dumps(r, ensure_ascii=False) for u, r in read_jsonl_table(path).items()}
    return {u: f"{u} {v}" if v else u for u, (_, v) in read_kaldi_entries(path, allow_empty_value=True).items()}


def _renamed(table: str, line: str, old: str, new: str) -> str:
    """``line`` of ``table`` under the utterance id ``new``."""
    if old == new:
        return line
    if table.endswith(".jsonl"):
        record = json.loads(line)
        record["id"] = new
        return json.dumps(record, ensure_ascii=False)
    return new + line[len(old) :]
