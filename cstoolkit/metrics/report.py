"""Text, TSV, JSON and HTML views of a SAER result."""

from __future__ import annotations

import html
import json
import unicodedata
from pathlib import Path

from cstoolkit.core.atomic import atomic_write_text
from cstoolkit.metrics.align import DEL, INS, MATCH, SUB, EditCounts
from cstoolkit.metrics.bootstrap import Interval, format_level
from cstoolkit.metrics.saer import GroupScore, SAERResult, UtteranceScore

PER_UTT_COLUMNS = (
    "id",
    "saer",
    "form_error",
    "semantic_error",
    "substitutions",
    "deletions",
    "insertions",
    "ref_units",
    "reference",
    "hypothesis",
)


def _width(text: str) -> int:
    """Display width in a terminal: East Asian wide/full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_alignment(utt: UtteranceScore) -> str:
    """Three aligned lines (REF, HYP, marks) plus a header, as sclite/jiwer print them."""
    refs, hyps, marks = ["REF:"], ["HYP:"], ["    "]
    for ref_unit, hyp_unit, mark in utt.alignment.pairs():
        r = ref_unit if ref_unit is not None else "*" * max(1, _width(hyp_unit or ""))
        h = hyp_unit if hyp_unit is not None else "*" * max(1, _width(ref_unit or ""))
        width = max(_width(r), _width(h), 1)
        refs.append(_pad(r, width))
        hyps.append(_pad(h, width))
        marks.append(_pad("" if mark == MATCH else mark, width))
    sem = "n/a" if utt.semantic_error is None else f"{utt.semantic_error:.3f}"
    header = (
        f"id: {utt.id}  saer={utt.saer:.3f} form={utt.form_error:.3f} sem={sem} "
        f"S={utt.counts.substitutions} D={utt.counts.deletions} I={utt.counts.insertions} N={utt.counts.ref_units}"
    )
    return "\n".join([header, " ".join(refs).rstrip(), " ".join(hyps).rstrip(), " ".join(marks).rstrip()])


def write_json(result: SAERResult, path: str | Path) -> None:
    """The ``saer --json`` document, written atomically."""
    atomic_write_text(path, json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")


def per_utterance_tsv(result: SAERResult) -> str:
    """One row per utterance with the columns of :data:`PER_UTT_COLUMNS`, plus ``tag`` when tags were given
    (tabs/newlines in text become spaces)."""
    tagged = any(utt.tag is not None for utt in result.per_utterance)
    columns = (*PER_UTT_COLUMNS, "tag") if tagged else PER_UTT_COLUMNS
    rows = ["\t".join(columns)]
    for utt in result.per_utterance:
        record = utt.to_dict()
        cells = []
        for column in columns:
            value = record[column]
            if isinstance(value, float):
                value = f"{value:.6f}"
            cells.append("" if value is None else " ".join(str(value).split()))
        rows.append("\t".join(cells))
    return "\n".join(rows) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em} table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right} th{background:#f3f3f3} td.l{text-align:left}
.sig{font-family:monospace;background:#f6f6f6;padding:.4em} .ali span{padding:0 .15em;margin:0 .05em}
.S{background:#ffd6a5} .D{background:#ffadad;text-decoration:line-through} .I{background:#caffbf}
.utt{margin:.6em 0;padding:.4em;border-bottom:1px solid #eee} .meta{color:#555;font-size:.85em}
.ci{color:#555;font-size:.85em;white-space:nowrap}
"""


def _figure(value: float | None, interval: Interval | None) -> str:
    """A table cell's figure: ``0.0612`` and, when there is one, its interval ``[0.0480, 0.0760]`` beside it."""
    text = "n/a" if value is None else f"{value:.4f}"
    if interval is not None and value is not None:
        text += f" <span class=ci>{interval.format()}</span>"
    return text


def _counts_table(title: str, rows: dict[str, EditCounts], intervals: dict[str, Interval] | None = None) -> str:
    intervals = intervals or {}
    body = "".join(
        f"<tr><td class=l>{html.escape(name)}</td><td>{c.ref_units}</td><td>{c.substitutions}</td>"
        f"<td>{c.deletions}</td><td>{c.insertions}</td><td>{_figure(c.error_rate, intervals.get(name))}</td></tr>"
        for name, c in sorted(rows.items())
    )
    return (
        f"<h2>{title}</h2><table><tr><th>label</th><th>N</th><th>S</th><th>D</th><th>I</th><th>error rate</th></tr>"
        f"{body}</table>"
    )


def _group_table(title: str, rows: dict[str, GroupScore]) -> str:
    def cells(g: GroupScore) -> str:
        figures = (g.saer, g.form_error, g.semantic_error)
        names = ("saer", "form_error", "semantic_error")
        return "".join(f"<td>{_figure(value, g.ci.get(name))}</td>" for value, name in zip(figures, names))

    body = "".join(
        f"<tr><td class=l>{html.escape(name)}</td><td>{g.utterances}</td>{cells(g)}<td>{g.counts.substitutions}</td>"
        f"<td>{g.counts.deletions}</td><td>{g.counts.insertions}</td><td>{g.counts.ref_units}</td></tr>"
        for name, g in sorted(rows.items())
    )
    return (
        f"<h2>{title}</h2><table><tr><th>group</th><th>utts</th><th>SAER</th><th>form</th><th>semantic</th>"
        f"<th>S</th><th>D</th><th>I</th><th>N</th></tr>{body}</table>"
    )


def _intervals_note(result: SAERResult) -> str:
    """What the bracketed intervals are (nothing when the result has none)."""
    if not result.ci:
        return ""
    first = next(iter(result.ci.values()))
    return (
        f"<p class=meta>[low, high]: {format_level(first.level)} percentile-bootstrap intervals over utterances, "
        f"{first.resamples} resamples, seed {first.seed}</p>"
    )


def _alignment_html(utt: UtteranceScore) -> str:
    spans = []
    for ref_unit, hyp_unit, mark in utt.alignment.pairs():
        if mark == MATCH:
            spans.append(f"<span>{html.escape(ref_unit or '')}</span>")
        elif mark == SUB:
            spans.append(
                f"<span class=S title='substitution'>{html.escape(ref_unit or '')}→{html.escape(hyp_unit or '')}</span>"
            )
        elif mark == DEL:
            spans.append(f"<span class=D title='deletion'>{html.escape(ref_unit or '')}</span>")
        elif mark == INS:
            spans.append(f"<span class=I title='insertion'>+{html.escape(hyp_unit or '')}</span>")
    sem = "n/a" if utt.semantic_error is None else f"{utt.semantic_error:.3f}"
    tag = f" tag={html.escape(utt.tag)}" if utt.tag else ""
    return (
        f"<div class=utt><div class=meta>{html.escape(utt.id)}{tag} · SAER {utt.saer:.3f} · form {utt.form_error:.3f}"
        f" · semantic {sem}</div><div class=ali>{''.join(spans) or '<i>(empty)</i>'}</div></div>"
    )


def render_html(result: SAERResult, title: str = "SAER report") -> str:
    """A self-contained HTML page: summary, breakdown tables, colour-marked alignments (worst first)."""
    parts = [
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title><style>{_CSS}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p class=sig>{html.escape(result.signature)}</p>",
        _group_table("Corpus", {"all": result.corpus}),
        _intervals_note(result),
        _counts_table(
            "Per script (S, D by reference unit; I by hypothesis unit)", result.per_script, result.per_script_ci
        ),
    ]
    if result.per_tag:
        parts.append(_group_table("Per tag", result.per_tag))
    if result.per_word_language:
        parts.append(_counts_table("Per word language (reference segments)", result.per_word_language))
    parts.append(
        "<h2>Alignments, worst first</h2><p>"
        "<span class=S>substitution</span> <span class=D>deletion</span> <span class=I>insertion</span></p>"
    )
    worst_first = sorted(result.per_utterance, key=lambda u: (-u.saer, u.id))
    parts.extend(_alignment_html(utt) for utt in worst_first)
    parts.append("</body></html>\n")
    return "".join(parts)


def write_html(result: SAERResult, path: str | Path, title: str = "SAER report") -> None:
    """Write :func:`render_html` atomically."""
    atomic_write_text(path, render_html(result, title))
