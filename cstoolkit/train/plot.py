"""Training-curve PNG from ``history.jsonl`` (loss per step, validation metrics per epoch)."""

from __future__ import annotations

import json
from pathlib import Path

from cstoolkit.core.atomic import atomic_save


def read_history(path: str | Path) -> list[dict]:
    """History rows; for a repeated (kind, step) the last row wins (steps redone after a resume)."""
    path = Path(path)
    if not path.is_file():
        return []
    rows: dict[tuple[str, int], dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        kind = "val" if any(k.startswith("val/") for k in row) else "train"
        rows[(kind, int(row["step"]))] = row
    return [rows[k] for k in sorted(rows, key=lambda k: (k[1], k[0]))]


def plot_history(history: str | Path, out_png: str | Path) -> bool:
    """Draw train/val loss against steps and any other validation metric (e.g. ``val/mer``); False if no data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_history(history)
    train = [(r["step"], r["train/loss"]) for r in rows if "train/loss" in r]
    val = [(r["step"], r["val/loss"]) for r in rows if "val/loss" in r]
    extra = sorted({k for r in rows for k in r if k.startswith("val/") and k != "val/loss"})
    if not train and not val:
        return False
    fig, axes = plt.subplots(1, 2 if extra else 1, figsize=(11 if extra else 6, 4), squeeze=False)
    ax = axes[0][0]
    if train:
        ax.plot(*zip(*train), label="train loss", alpha=0.7)
    if val:
        ax.plot(*zip(*val), "o-", label="dev loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    if extra:
        ax2 = axes[0][1]
        for key in extra:
            pts = [(r["epoch"], r[key]) for r in rows if key in r]
            ax2.plot(*zip(*pts), "o-", label=key)
        ax2.set_xlabel("epoch")
        ax2.legend()
        ax2.grid(alpha=0.3)
    fig.tight_layout()
    atomic_save(out_png, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)
    return True
