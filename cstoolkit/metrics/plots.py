"""Bar charts of SAER breakdowns (matplotlib, Agg backend: works without a screen)."""

from __future__ import annotations

from pathlib import Path

from cstoolkit.core.atomic import atomic_path
from cstoolkit.errors import ConfigError
from cstoolkit.metrics.saer import SAERResult


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
    bars = ax.bar([name for name, _ in scripts], [c.error_rate for _, c in scripts], color="#4c78a8")
    for bar, (_, counts) in zip(bars, scripts):
        ax.annotate(
            f"N={counts.ref_units}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_title("form error per script")
    ax.set_ylabel("(S+D+I)/N")
    ax.tick_params(axis="x", rotation=45)
    if result.per_tag:
        ax = axes[0][1]
        tags = sorted(result.per_tag)
        width = 0.27
        positions = range(len(tags))
        series = [
            ("SAER", [result.per_tag[t].saer for t in tags]),
            ("form", [result.per_tag[t].form_error for t in tags]),
            ("semantic", [result.per_tag[t].semantic_error or 0.0 for t in tags]),
        ]
        for k, (label, values) in enumerate(series):
            ax.bar([p + (k - 1) * width for p in positions], values, width, label=label)
        ax.set_xticks(list(positions), tags, rotation=45)
        ax.set_title("per tag")
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=plot_format(path), dpi=110)
    plt.close(fig)
