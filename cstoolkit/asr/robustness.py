"""Robustness of a recogniser: a test set under named conditions, each decoded and scored with SAER, in one table.

The conditions are data directories that :func:`cstoolkit.data.corrupt.corrupt_all` wrote (``cstk corrupt
--condition all``), one sub-folder per condition. :func:`evaluate_conditions` decodes each with a caller's decoding
function (the CS-ASR, Whisper, or any other), scores it like the clean test set (``<out>/<condition>/{hyp.txt,
saer.json, ...}``) and writes ``robustness.json``, ``robustness.tsv`` and ``robustness.png`` (MER per condition).
A condition whose scores are already there (``saer.json`` newer than its data) is not decoded again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.atomic import atomic_path, atomic_write_lines, atomic_write_text
from cstoolkit.core.stamps import Stamp
from cstoolkit.data.corrupt import CONDITIONS, STAMP_FILE
from cstoolkit.errors import ConfigError, InputFileError

log = logging.getLogger(__name__)

TABLE_JSON, TABLE_TSV, TABLE_PNG = "robustness.json", "robustness.tsv", "robustness.png"

#: decode(data_dir, out_dir) writes out_dir/hyp.txt
Decoder = Callable[[Path, Path], None]


def condition_dirs(conditions_dir: str | Path, names: Sequence[str] | None = None) -> dict[str, Path]:
    """Finished condition folders under ``conditions_dir`` (those with ``corrupt.json``), in registry order; with
    ``names``, exactly those (InputFileError naming the first that is missing or unfinished)."""
    root = Path(conditions_dir)
    if not root.is_dir():
        raise InputFileError(root, "no such folder: make it with `cstk corrupt --condition all`")
    if names:
        unknown = [n for n in names if n not in CONDITIONS]
        if unknown:
            raise ConfigError(f"unknown condition {unknown[0]!r}; choose from {', '.join(CONDITIONS)}")
        for name in names:
            if not (root / name / STAMP_FILE).is_file():
                raise InputFileError(root / name, "missing or unfinished: run `cstk corrupt` for it first")
        return {name: root / name for name in names}
    found = {name: root / name for name in CONDITIONS if (root / name / STAMP_FILE).is_file()}
    if not found:
        raise InputFileError(root, "holds no finished condition folder: run `cstk corrupt --condition all` first")
    return found


#: what decoded a condition folder (``evaluate_conditions``' ``key``), written beside its saer.json
KEY_FILE = "robustness_key.json"


def _key_stamp(out_dir: Path) -> Stamp:
    """The stamp of a scored condition folder: ``robustness_key.json``, holding the key itself."""
    return Stamp(out_dir / KEY_FILE, field=None)


def _up_to_date(data_dir: Path, out_dir: Path, key: dict[str, Any]) -> bool:
    """A condition scored after its data were made, by the same decoder and settings (``key``)."""
    saer_json = out_dir / "saer.json"
    if _key_stamp(out_dir).matches(key, [saer_json]) is None:
        return False
    return saer_json.stat().st_mtime >= (data_dir / STAMP_FILE).stat().st_mtime


#: the fields of saer.json in a row of the table
_ROW_FIELDS = (
    "saer",
    "form_error",
    "semantic_error",
    "substitutions",
    "deletions",
    "insertions",
    "ref_units",
    "utterances",
)


def _row(name: str, saer_json: Path) -> dict[str, Any]:
    doc = json.loads(saer_json.read_text(encoding="utf-8"))
    row = {key: doc[key] for key in _ROW_FIELDS}
    row["condition"] = name
    row["mer"] = doc["form_error"]
    row["per_tag_mer"] = {tag: group["form_error"] for tag, group in sorted(doc.get("per_tag", {}).items())}
    return row


def evaluate_conditions(
    conditions: dict[str, Path],
    out_dir: str | Path,
    decode: Decoder,
    metric_cfg: DictConfig,
    title: str,
    key: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Decode and score every condition folder into ``out_dir/<condition>/``; write the table and the chart.
    A condition scored earlier is kept only when its data are older and ``key`` (what decodes it: model, settings)
    and the scoring settings are the ones it was scored with.

    Returns one row per condition: ``condition, mer, saer, semantic_error, substitutions, deletions, insertions,
    ref_units, utterances, per_tag_mer``.
    """
    from cstoolkit.asr.score import score_decoding

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    key = {**(key or {}), "metric": OmegaConf.to_container(metric_cfg, resolve=True)}
    for name, data_dir in conditions.items():
        cond_out = out_dir / name
        if _up_to_date(data_dir, cond_out, key):
            log.info("%s %s: scored earlier with the same decoder and settings, kept", title, name)
        else:
            stamp = _key_stamp(cond_out)
            stamp.clear()
            decode(data_dir, cond_out)
            score_decoding(data_dir, cond_out, metric_cfg, f"{title} {name}")
            stamp.write(key)
        rows.append(_row(name, cond_out / "saer.json"))
    write_table(rows, out_dir, title)
    return rows


def write_table(rows: list[dict[str, Any]], out_dir: Path, title: str) -> None:
    """``robustness.json`` (the rows), ``robustness.tsv`` (condition, MER, SAER, E_sem, S/D/I, N) and a bar chart of
    MER per condition, ``robustness.png``."""
    atomic_write_text(out_dir / TABLE_JSON, json.dumps({"system": title, "conditions": rows}, indent=1) + "\n")
    lines = ["condition\tmer\tsaer\tsemantic_error\tsubstitutions\tdeletions\tinsertions\tref_units"]
    for r in rows:
        sem = "" if r["semantic_error"] is None else f"{r['semantic_error']:.4f}"
        lines.append(
            f"{r['condition']}\t{r['mer']:.4f}\t{r['saer']:.4f}\t{sem}\t{r['substitutions']}\t"
            f"{r['deletions']}\t{r['insertions']}\t{r['ref_units']}"
        )
    atomic_write_lines(out_dir / TABLE_TSV, lines)
    plot_conditions({title: rows}, out_dir / TABLE_PNG)


def plot_conditions(systems: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Grouped bars: MER per condition, one colour per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["condition"] for rows in systems.values() for r in rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(names) * max(1, len(systems))), 4))
    width = 0.8 / max(1, len(systems))
    for k, (system, rows) in enumerate(systems.items()):
        mer = {r["condition"]: r["mer"] for r in rows}
        xs = [i + k * width for i, n in enumerate(names) if n in mer]
        ax.bar(xs, [mer[n] for n in names if n in mer], width, label=system)
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(names))], names, rotation=45, ha="right")
    ax.set_ylabel("MER (S+D+I)/N")
    ax.set_title("test MER per condition")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
