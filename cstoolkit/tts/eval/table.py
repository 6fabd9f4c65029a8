"""The comparison table of judged folders as files: ``<table>.json`` (the rows as they are), ``<table>.tsv`` (one
line per system), ``<table>_by_pair.tsv`` (one line per system and language pair) and ``<table>_comparisons.tsv``
(one line per paired comparison: the row, the row it is compared with, B - A of each figure with its interval and
p-value). An interval cell reads ``[low, high]``; a missing value ``-``.

Speaker similarity reads as a user reads it: ``speakers`` (N, the speakers of the reference data directory),
``similarity_own`` and ``similarity_best_other`` (mean cosine to the own and to the best other speaker),
``own_first`` (the share of outputs whose own speaker ranks first among the N: top-1 of N) and ``margin`` (mean own
minus best other cosine).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cstoolkit.core.atomic import atomic_write_lines, atomic_write_text

#: figures of the table that carry intervals (``<figure>_ci``), in column order
FIGURES = ("mer", "saer", "e_sem", "similarity_own", "similarity_best_other", "own_first", "margin")
#: figures of the per-language-pair table
PAIR_FIGURES = ("mer", "saer", "e_sem", "similarity_own", "own_first", "margin")
#: figures with a p-value in the main table (``p_<figure>``, against the row named in ``vs``)
P_FIGURES = ("mer", "saer", "similarity_own", "own_first", "margin")
#: figures of the comparisons table (``d_<figure>``, ``d_<figure>_ci``, ``p_<figure>``)
COMPARED_FIGURES = ("mer", "saer", "e_sem", "similarity_own", "own_first", "margin")


def _with_ci(figures: tuple[str, ...]) -> list[str]:
    return [c for f in figures for c in (f, f"{f}_ci")]


#: columns of the main table (then ``mer_<pair>`` per language pair)
COLUMNS = [
    "system",
    "kind",
    "utterances",
    "speakers",
    *_with_ci(FIGURES),
    "rtf",
    "vs",
    *(f"p_{f}" for f in P_FIGURES),
]
#: columns of the per-language-pair table (``<table>_by_pair.tsv``): one row per folder and pair, "all" first
PAIR_COLUMNS = ["system", "kind", "lang_pair", "utterances", "speakers", *_with_ci(PAIR_FIGURES), "rtf"]
#: columns of the comparisons table (``<table>_comparisons.tsv``)
COMPARISON_COLUMNS = [
    "system",
    "vs",
    "utterances",
    "similarity_utterances",
    *(c for f in COMPARED_FIGURES for c in (f"d_{f}", f"d_{f}_ci", f"p_{f}")),
    "note",
]


def _flat(values: dict[str, Any], ci: dict[str, Any] | None) -> dict[str, Any]:
    """Figures with their ``<figure>_ci`` cells."""
    return {**values, **{f"{name}_ci": interval for name, interval in (ci or {}).items()}}


def pair_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison table in long form: per folder, its overall row (``lang_pair`` "all") and one per pair."""
    out = []
    for r in rows:
        out.append({**_flat({c: r.get(c) for c in PAIR_COLUMNS}, r.get("ci")), "lang_pair": "all"})
        for tag, group in r.get("per_tag", {}).items():
            cells = _flat({"system": r["system"], "kind": r["kind"], "lang_pair": tag, **group}, group.get("ci"))
            out.append({**cells, "rtf": r.get("rtf")})
    return out


def comparison_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per comparison of every row (see :func:`cstoolkit.tts.eval.stats.add_comparisons`)."""
    out = []
    for r in rows:
        for c in r.get("comparisons") or []:
            cells: dict[str, Any] = {"system": r.get("system"), **c}
            for name, diff in c.get("differences", {}).items():
                cells.update(
                    {f"d_{name}": diff.get("delta"), f"d_{name}_ci": diff.get("ci"), f"p_{name}": diff["p_value"]}
                )
            out.append(cells)
    return out


def write_summary(rows: list[dict[str, Any]], out_json: str | Path) -> None:
    """The comparison table as JSON, TSV (same name, ``.tsv``), per language pair ``<name>_by_pair.tsv`` and its
    paired comparisons ``<name>_comparisons.tsv`` (see the module doc)."""
    out_json = Path(out_json)
    atomic_write_text(out_json, json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    tags = sorted({t for r in rows for t in r["per_tag_mer"]})
    lines = ["\t".join(COLUMNS + [f"mer_{t}" for t in tags])]
    for r in rows:
        values = _flat(r, r.get("ci"))
        values.update({f"p_{name}": p for name, p in (r.get("p_values") or {}).items()})
        cells = [_cell(values.get(c)) for c in COLUMNS] + [_cell(r["per_tag_mer"].get(t)) for t in tags]
        lines.append("\t".join(cells))
    atomic_write_lines(out_json.with_suffix(".tsv"), lines)
    by_pair = ["\t".join(PAIR_COLUMNS)] + ["\t".join(_cell(r.get(c)) for c in PAIR_COLUMNS) for r in pair_rows(rows)]
    atomic_write_lines(out_json.with_name(f"{out_json.stem}_by_pair.tsv"), by_pair)
    compared = ["\t".join(COMPARISON_COLUMNS)]
    compared += ["\t".join(_cell(c.get(k)) for k in COMPARISON_COLUMNS) for c in comparison_rows(rows)]
    atomic_write_lines(out_json.with_name(f"{out_json.stem}_comparisons.tsv"), compared)


def format_interval(interval: Any, fmt: str = "{:.4f}") -> str | None:
    """``[low, high]`` of an interval's JSON object; None when it has no bounds."""
    if not isinstance(interval, dict) or interval.get("low") is None or interval.get("high") is None:
        return None
    return f"[{fmt.format(interval['low'])}, {fmt.format(interval['high'])}]"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return format_interval(value) or "-"
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    return text.replace("\t", " ").replace("\n", " ")
