#!/usr/bin/env python
"""The RESULTS tables of a recipe work dir as Markdown, every figure with its 95% bootstrap interval.

    .venv/bin/python scripts/results_table.py --work-dir recipes/switchlingua      # after run.sh

Reads only what the recipe wrote: ``exp/asr/decode_test``, ``exp/whisper/decode_test{,_autolang}``,
``exp/tokenizer/{decode_test,report.json}``, ``exp/tts/{evaluation,novel_evaluation}.json``,
``exp/tts_ar/evaluation.json`` and ``exp/asr/robustness/robustness.json``; a table whose files are missing is left
out with a note.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def cell(value: float | None, interval: dict | None = None, digits: int = 3) -> str:
    """``0.061 [0.045, 0.079]`` (the interval when there is one)."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    if isinstance(interval, dict) and interval.get("low") is not None:
        text += f" [{interval['low']:.{digits}f}, {interval['high']:.{digits}f}]"
    return text


def share(value: float | None, interval: dict | None = None) -> str:
    """``75% [67, 83]``."""
    if value is None:
        return ""
    text = f"{100 * value:.0f}%"
    if isinstance(interval, dict) and interval.get("low") is not None:
        text += f" [{100 * interval['low']:.0f}, {100 * interval['high']:.0f}]"
    return text


def p_value(p: float | None) -> str:
    return "" if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def recognition(work: Path) -> list[str]:
    rows = [
        ("CS-ASR (stage 4)", work / "exp/asr/decode_test"),
        ("Whisper base told the language (stage 5)", work / "exp/whisper/decode_test"),
        ("Whisper base detecting it (stage 6)", work / "exp/whisper/decode_test_autolang"),
        ("through the quantizer (stage 11)", work / "exp/tokenizer/decode_test"),
    ]
    out = ["| system (test) | MER | SAER | E_sem |", "|---|---|---|---|"]
    for name, folder in rows:
        report = load(folder / "saer.json")
        if report is None:
            out.append(f"| {name} | (no {folder / 'saer.json'}) | | |")
            continue
        ci = report.get("ci", {})
        figures = [("form_error", 3), ("saer", 3), ("semantic_error", 3)]
        out.append(f"| {name} | " + " | ".join(cell(report.get(k), ci.get(k), d) for k, d in figures) + " |")
    paired = ((load(work / "exp/tokenizer/report.json") or {}).get("quantized_vs_continuous") or {}).get("paired")
    if paired:
        mer = paired["mer"]
        out.append(
            f"\nQuantizer vs CS-ASR, paired: MER difference {cell(mer['delta'], mer.get('ci'))}, "
            f"p {p_value(mer.get('p_value'))}"
        )
    return out


def own_first(row: dict) -> tuple[float | None, dict | None, float | None]:
    """The share of outputs whose own speaker ranks first, its interval and p-value (a table written before ranks:
    its ``closer_to_own``)."""
    ci, p = row.get("ci") or {}, row.get("p_values") or {}
    key = "own_first" if "own_first" in row else "closer_to_own"
    return row.get(key), ci.get(key), p.get(key)


def synthesis(table: Path) -> list[str]:
    """Speaker similarity as a user reads it: does each output's own speaker rank first among the N speakers of the
    reference data (top-1 of N), and by what margin (own minus best other cosine)."""
    rows = load(table)
    if rows is None:
        return [f"(no {table})"]
    counts = {r.get("speakers") for r in rows}
    n = counts.pop() if len(counts) == 1 and None not in counts else None
    header = f"own first (of {n})" if n is not None else "own first (of N)"
    out = [
        f"| system | MER | SAER | similarity own / best other | {header} | margin | vs | p (MER) | "
        "p (similarity own) | p (own first) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ci, p = r.get("ci") or {}, r.get("p_values") or {}
        similarity = (
            f"{cell(r.get('similarity_own'), ci.get('similarity_own'))} / {cell(r.get('similarity_best_other'))}"
        )
        first, first_ci, first_p = own_first(r)
        first_cell = share(first, first_ci)
        if n is None and first_cell and r.get("speakers") is not None:
            first_cell += f" of {r['speakers']}"
        margin = cell(r.get("margin"), ci.get("margin"))
        out.append(
            f"| {r['system']} | {cell(r.get('mer'), ci.get('mer'))} | {cell(r.get('saer'), ci.get('saer'))} | "
            f"{similarity} | {first_cell} | {margin} | {r.get('vs') or ''} | "
            f"{p_value(p.get('mer'))} | {p_value(p.get('similarity_own'))} | {p_value(first_p)} |"
        )
    return out


def robustness(table: Path) -> list[str]:
    report = load(table)
    if report is None:
        return [f"(no {table})"]
    out = ["| condition | MER | difference to clean | p |", "|---|---|---|---|"]
    for row in report["conditions"]:
        versus = (row.get("vs_clean") or {}).get("mer") or {}
        out.append(
            f"| {row['condition']} | {cell(row.get('mer'), (row.get('ci') or {}).get('mer'))} | "
            f"{cell(versus.get('delta'), versus.get('ci'))} | {p_value(versus.get('p_value'))} |"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", required=True, help="the recipe's work dir (data/ and exp/)")
    work = Path(parser.parse_args().work_dir)
    sections = [
        ("Recognition", recognition(work)),
        ("Synthesis (exp/tts/evaluation.json)", synthesis(work / "exp/tts/evaluation.json")),
        ("New sentences (exp/tts/novel_evaluation.json)", synthesis(work / "exp/tts/novel_evaluation.json")),
        ("Autoregressive T2S (exp/tts_ar/evaluation.json)", synthesis(work / "exp/tts_ar/evaluation.json")),
        ("Robustness of the CS-ASR", robustness(work / "exp/asr/robustness/robustness.json")),
        ("Robustness of Whisper (told the language)", robustness(work / "exp/whisper/robustness/robustness.json")),
    ]
    for title, lines in sections:
        print(f"### {title}\n")
        print("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
