"""Bar charts of SAER breakdowns (matplotlib, Agg backend: works without a screen)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from cstoolkit.core.atomic import atomic_path
from cstoolkit.errors import ConfigError
from cstoolkit.metrics.bootstrap import Interval, format_level
from cstoolkit.metrics.saer import SAERResult


def error_bars(values: Sequence[float], intervals: Sequence[Interval | None]) -> list[list[float]] | None:
    """matplotlib's ``yerr`` (distances below and above each value) of intervals; None when there is none. A
    missing or empty (NaN) interval draws no bar."""
    if all(interval is None for interval in intervals):
        return None
    below, above = [], []
    for value, interval in zip(values, intervals):
        if interval is None or math.isnan(interval.low) or math.isnan(value):
            below.append(0.0)
            above.append(0.0)
        else:
            below.append(max(0.0, value - interval.low))
            above.append(max(0.0, interval.high - value))
    return [below, above]


def plot_format(path: str | Path) -> str:
    """The image format named by the file's extension (none: png); ConfigError when matplotlib cannot write it."""
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = Path(path).suffix.lower().lstrip(".") or "png"
    if suffix not in FigureCanvasBase.get_supported_filetypes():
        raise ConfigError(f"{path}: matplotlib cannot write .{suffix} plots; use .png, .svg or .pdf")
    return suffix


def plot_breakdown(result: SAERResult, path: str | Path, title: str = "SAER breakdown") -> None:
    """Write an image (format from the extension): error rate per script; SAER / form / semantic error per tag."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 if result.per_tag else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    scripts = sorted(result.per_script.items(), key=lambda kv: -kv[1].ref_units)
    ax = axes[0][0]
    rates = [c.error_rate for _, c in scripts]
    yerr = error_bars(rates, [result.per_script_ci.get(name) for name, _ in scripts])
    bars = ax.bar([name for name, _ in scripts], rates, color="#4c78a8", yerr=yerr, capsize=3)
    tops = [rate + (yerr[1][k] if yerr else 0.0) for k, rate in enumerate(rates)]
    for bar, (_, counts), top in zip(bars, scripts, tops):
        ax.annotate(
            f"N={counts.ref_units}",
            (bar.get_x() + bar.get_width() / 2, top),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    if tops and max(tops) > 0:
        ax.set_ylim(top=max(tops) * 1.12)  # room for the N= labels above the bars
    ax.set_title("form error per script")
    ax.set_ylabel("(S+D+I)/N")
    ax.tick_params(axis="x", rotation=45)
    if result.per_tag:
        ax = axes[0][1]
        tags = sorted(result.per_tag)
        width = 0.27
        positions = range(len(tags))
        series = [
            ("SAER", "saer", [result.per_tag[t].saer for t in tags]),
            ("form", "form_error", [result.per_tag[t].form_error for t in tags]),
            ("semantic", "semantic_error", [result.per_tag[t].semantic_error or 0.0 for t in tags]),
        ]
        for k, (label, figure, values) in enumerate(series):
            yerr = error_bars(values, [result.per_tag[t].ci.get(figure) for t in tags])
            ax.bar([p + (k - 1) * width for p in positions], values, width, label=label, yerr=yerr, capsize=2)
        ax.set_xticks(list(positions), tags, rotation=45)
        ax.set_title("per tag")
        ax.legend()
    if result.ci:
        first = next(iter(result.ci.values()))
        title += f" (bars: {format_level(first.level)} bootstrap intervals)"
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=plot_format(path), dpi=110)
    plt.close(fig)
