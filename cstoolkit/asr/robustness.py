"""Robustness of a recogniser: a test set under named conditions, each decoded and scored with SAER, in one table.

The conditions are data directories that :func:`cstoolkit.data.corrupt.corrupt_all` wrote (``cstk corrupt
--condition all``), one sub-folder per condition. :func:`evaluate_conditions` decodes each with a caller's decoding
function (the CS-ASR, Whisper, or any other), scores it like the clean test set (``<out>/<condition>/{hyp.txt,
saer.json, ...}``) and writes ``robustness.json``, ``robustness.tsv`` and ``robustness.png`` (MER per condition).
A condition whose scores are already there (``saer.json`` newer than its data) is not decoded again.

Every figure comes with its percentile-bootstrap interval (``metric.bootstrap`` resamples, ``metric.seed``,
``metric.ci_level``; none with ``metric.bootstrap=0``), and every condition with its paired difference to the
``clean`` condition when the table has one: B - A (condition - clean) of MER and SAER over the same utterances, with
its paired-bootstrap interval and p-value (:mod:`cstoolkit.metrics.comparison`), kept in ``<condition>/vs_clean.json``
until either condition is scored again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.atomic import atomic_path, atomic_write_lines, atomic_write_text
from cstoolkit.core.stamps import Stamp, fingerprint
from cstoolkit.data.corrupt import CONDITIONS, STAMP_FILE
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.metrics.bootstrap import format_level
from cstoolkit.metrics.scoring import Resampling, resampling_from_mapping

log = logging.getLogger(__name__)

TABLE_JSON, TABLE_TSV, TABLE_PNG = "robustness.json", "robustness.tsv", "robustness.png"

#: decode(data_dir, out_dir) writes out_dir/hyp.txt
Decoder = Callable[[Path, Path], None]

#: the condition every other one is compared with, and where a condition keeps its comparison
BASELINE, VERSUS_FILE = "clean", "vs_clean.json"
#: the figures of a row that get an interval and a difference to the baseline: row name -> SAER figure name
COMPARED = {"mer": "form_error", "saer": "saer"}


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
    ci = doc.get("ci") or {}
    row["ci"] = {key: ci[figure] for key, figure in COMPARED.items() if figure in ci} or None
    row["per_tag_mer"] = {tag: group["form_error"] for tag, group in sorted(doc.get("per_tag", {}).items())}
    row["vs_clean"] = None
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
    and the scoring settings (bootstrap ones included) are the ones it was scored with.

    Returns one row per condition: ``condition, mer, saer, semantic_error, substitutions, deletions, insertions,
    ref_units, utterances, per_tag_mer``, ``ci`` (``{mer, saer}``: interval dicts, or None without intervals) and
    ``vs_clean`` (the paired difference to the clean condition, see :func:`versus_baseline`; None for clean itself,
    without a clean condition or without intervals).
    """
    from cstoolkit.asr.score import check_metric_config, score_decoding

    check_metric_config(metric_cfg)
    resampling = resampling_from_mapping(metric_cfg)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, results = [], {}
    key = {**(key or {}), "metric": OmegaConf.to_container(metric_cfg, resolve=True)}
    for name, data_dir in conditions.items():
        cond_out = out_dir / name
        if _up_to_date(data_dir, cond_out, key):
            log.info("%s %s: scored earlier with the same decoder and settings, kept", title, name)
        else:
            stamp = _key_stamp(cond_out)
            stamp.clear()
            decode(data_dir, cond_out)
            results[name] = score_decoding(data_dir, cond_out, metric_cfg, f"{title} {name}")
            stamp.write(key)
        rows.append(_row(name, cond_out / "saer.json"))
    if resampling.enabled and BASELINE in conditions:
        for row in rows:
            if row["condition"] != BASELINE:
                row["vs_clean"] = versus_baseline(conditions, out_dir, row["condition"], metric_cfg, results)
    elif resampling.enabled:
        log.info("%s: no %s condition in the table, so no differences to it", title, BASELINE)
    write_table(rows, out_dir, title, resampling)
    return rows


def versus_baseline(
    conditions: dict[str, Path], out_dir: Path, name: str, metric_cfg: DictConfig, results: dict[str, Any]
) -> dict[str, Any] | None:
    """The paired difference of condition ``name`` to the clean one (B = the condition, A = clean) over their
    utterances: ``{baseline, test, level, resamples, seed, mer: {a, b, delta, ci, p_value, significant}, saer: ...}``;
    None (and a warning) when the two cover different utterances. Kept in ``<name>/vs_clean.json`` while both
    conditions' ``saer.json`` and the scoring settings stay the same; ``results``: condition -> SAERResult scored in
    this run (the others are scored again, without writing anything)."""
    from cstoolkit.asr.score import score_folder
    from cstoolkit.metrics.comparison import compare_results

    saer_files = [out_dir / BASELINE / "saer.json", out_dir / name / "saer.json"]
    stamp = Stamp(out_dir / name / VERSUS_FILE)
    digest = fingerprint(OmegaConf.to_container(metric_cfg, resolve=True), files=saer_files)
    record = stamp.matches(digest)
    if record is not None:
        return record.get("comparison")
    for condition in (BASELINE, name):
        if condition not in results:
            results[condition] = score_folder(conditions[condition], out_dir / condition, metric_cfg, intervals=False)
    resampling = resampling_from_mapping(metric_cfg)
    try:
        comparison = compare_results(
            results[BASELINE], results[name], resampling.resamples, resampling.seed, resampling.level
        )
    except ConfigError as err:
        log.warning("%s vs %s: no paired difference: %s", name, BASELINE, err)
        comparison = None
    out = None
    if comparison is not None:
        out = {"baseline": BASELINE, "test": comparison.test, **resampling.to_dict()}
        for key, figure in COMPARED.items():
            diff = comparison.differences[figure]
            out[key] = {**diff.to_dict(), "significant": bool(diff.p_value < 1.0 - resampling.level)}
    stamp.write(digest, comparison=out)
    return out


#: the columns of robustness.tsv
TSV_COLUMNS = (
    "condition",
    "mer",
    "mer_low",
    "mer_high",
    "saer",
    "saer_low",
    "saer_high",
    "semantic_error",
    "substitutions",
    "deletions",
    "insertions",
    "ref_units",
    "delta_mer",
    "delta_mer_low",
    "delta_mer_high",
    "p_mer",
    "significant_mer",
    "delta_saer",
    "delta_saer_low",
    "delta_saer_high",
    "p_saer",
    "significant_saer",
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _tsv_line(row: dict[str, Any]) -> str:
    ci = row.get("ci") or {}
    cells = [row["condition"]]
    for key in COMPARED:
        interval = ci.get(key) or {}
        cells += [_number(row[key]), _number(interval.get("low")), _number(interval.get("high"))]
    cells += [_number(row["semantic_error"])]
    cells += [str(row[k]) for k in ("substitutions", "deletions", "insertions", "ref_units")]
    versus = row.get("vs_clean") or {}
    for key in COMPARED:
        diff = versus.get(key)
        if diff is None:
            cells += [""] * 5
        else:
            low, high = diff["ci"]["low"], diff["ci"]["high"]
            significant = "yes" if diff["significant"] else "no"
            cells += [_number(diff["delta"]), _number(low), _number(high), _number(diff["p_value"]), significant]
    return "\t".join(cells)


def _bracket(interval: dict[str, Any] | None) -> str:
    if not interval or interval.get("low") is None:
        return ""
    return f" [{interval['low']:.4f}, {interval['high']:.4f}]"


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One line per condition: ``white_10db: MER 0.2000 [0.1000, 0.3000]  SAER ...  vs clean: MER +0.2000 [...]
    p=0.0010 (significant) ...``."""
    lines = []
    for row in rows:
        ci = row.get("ci") or {}
        text = f"{row['condition']}: " + "  ".join(f"{k.upper()} {row[k]:.4f}{_bracket(ci.get(k))}" for k in COMPARED)
        versus = row.get("vs_clean")
        if versus:
            parts = []
            for key in COMPARED:
                diff = versus[key]
                verdict = "significant" if diff["significant"] else "not significant"
                parts.append(
                    f"{key.upper()} {diff['delta']:+.4f}{_bracket(diff['ci'])} p={diff['p_value']:.4f} ({verdict})"
                )
            text += f"  vs {versus['baseline']}: " + "  ".join(parts)
        lines.append(text)
    return lines


def write_table(rows: list[dict[str, Any]], out_dir: Path, title: str, resampling: Resampling | None = None) -> None:
    """``robustness.json`` (the rows, the baseline and the resampling settings), ``robustness.tsv`` (the columns of
    :data:`TSV_COLUMNS`: condition, MER and SAER with their interval bounds, E_sem, S/D/I, N, then B - A to clean of
    MER and SAER with interval bounds, p-value and significant yes/no; empty cells where there is none) and a bar
    chart of MER per condition with its interval, ``robustness.png``."""
    resampling = resampling or Resampling(0)
    has_baseline = any(r.get("vs_clean") for r in rows)
    doc = {
        "system": title,
        "baseline": BASELINE if has_baseline else None,
        "bootstrap": resampling.to_dict() if resampling.enabled else None,
        "conditions": rows,
    }
    atomic_write_text(out_dir / TABLE_JSON, json.dumps(doc, indent=1) + "\n")
    atomic_write_lines(out_dir / TABLE_TSV, ["\t".join(TSV_COLUMNS), *(_tsv_line(r) for r in rows)])
    plot_conditions({title: rows}, out_dir / TABLE_PNG, resampling.level if resampling.enabled else None)
    for line in summary_lines(rows):
        log.info("%s %s", title, line)


def plot_conditions(systems: dict[str, list[dict[str, Any]]], path: Path, level: float | None = None) -> None:
    """Grouped bars: MER per condition, one colour per system, with the rows' intervals as error bars and a star
    over a condition whose MER differs significantly from clean."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["condition"] for rows in systems.values() for r in rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(names) * max(1, len(systems))), 4))
    width = 0.8 / max(1, len(systems))
    top = 0.0
    for k, (system, rows) in enumerate(systems.items()):
        by_name = {r["condition"]: r for r in rows}
        shown = [n for n in names if n in by_name]
        xs = [names.index(n) + k * width for n in shown]
        mer = [by_name[n]["mer"] for n in shown]
        below, above = [], []
        for n, value in zip(shown, mer):
            interval = (by_name[n].get("ci") or {}).get("mer") or {}
            low, high = interval.get("low"), interval.get("high")
            below.append(0.0 if low is None else max(0.0, value - low))
            above.append(0.0 if high is None else max(0.0, high - value))
        ax.bar(xs, mer, width, label=system, yerr=[below, above] if any(below + above) else None, capsize=3)
        top = max([top, *(value + up for value, up in zip(mer, above))])
        for x, n, value, up in zip(xs, shown, mer, above):
            diff = (by_name[n].get("vs_clean") or {}).get("mer")
            if diff and diff["significant"]:
                ax.annotate("*", (x, value + up), ha="center", va="bottom")
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(names))], names, rotation=45, ha="right")
    if top > 0:
        ax.set_ylim(top=top * 1.12)  # room for the stars
    ax.set_ylabel("MER (S+D+I)/N")
    note = f" ({format_level(level)} intervals; * differs from {BASELINE})" if level else ""
    ax.set_title("test MER per condition" + note, fontsize=10)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
