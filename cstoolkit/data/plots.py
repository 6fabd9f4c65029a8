"""Corpus plots: duration histogram and language-pair bar chart per split (matplotlib, Agg backend)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cstoolkit.core.atomic import atomic_path
from cstoolkit.data.kaldi_dir import Utterance


def plot_corpus(splits: dict[str, list[Utterance]], output_dir: str | Path, title: str, bins: int = 40) -> list[Path]:
    """Write ``<title>_durations.png`` and ``<title>_lang_pairs.png`` into ``output_dir``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output_dir = Path(output_dir)
    paths = []
    fig, ax = plt.subplots(figsize=(7, 4))
    for split, utts in splits.items():
        if utts:
            ax.hist([u.duration for u in utts], bins=bins, alpha=0.6, label=f"{split} ({len(utts)})")
    ax.set(xlabel="duration (s)", ylabel="utterances", title=f"{title}: utterance durations")
    ax.legend()
    paths.append(_save(fig, output_dir / f"{title}_durations.png"))
    plt.close(fig)

    pairs = sorted({u.lang for utts in splits.values() for u in utts})
    fig, ax = plt.subplots(figsize=(max(6, len(pairs) * 0.7), 4))
    width = 0.8 / max(1, len(splits))
    for index, (split, utts) in enumerate(splits.items()):
        hours = Counter()
        for u in utts:
            hours[u.lang] += u.duration / 3600
        ax.bar([i + index * width for i in range(len(pairs))], [hours[p] for p in pairs], width, label=split)
    ax.set_xticks([i + width * (len(splits) - 1) / 2 for i in range(len(pairs))], pairs, rotation=45)
    ax.set(ylabel="hours", title=f"{title}: audio per language pair")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    paths.append(_save(fig, output_dir / f"{title}_lang_pairs.png"))
    plt.close(fig)
    return paths


def _save(fig, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return path
