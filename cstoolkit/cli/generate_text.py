"""``cstk generate-text``: code-switched sentences for the language pairs (cstoolkit.text.generate), from the pair
grammars or from an external generator command, written with a summary:

    cstk generate-text --pairs zh-en,es-en --per-pair 50 --seed 1 --kinds insertion,alternation \\
        --exclude data/test/text --out-dir out

``out/``: ``text``, ``utt2seg.jsonl``, ``utt2lang``, ``utt2kind``, ``sentences.jsonl``, ``generation.json``,
``summary.json`` and ``summary.png`` (sentences per kind, CMI histogram, switch-count histogram, word types per
language).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cstoolkit.errors import ConfigError

HELP = "code-switched sentences for the language pairs: frame grammars + bilingual lexicons, or an external command"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", help="comma-separated language pairs (default: all 11, zh-en ... it-en)")
    parser.add_argument(
        "--kinds",
        help="comma-separated switch kinds: insertion, alternation, congruent (default: all; congruent only for "
        "pairs whose word orders agree)",
    )
    parser.add_argument("--per-pair", default="20", help="sentences per pair and kind (default 20)")
    parser.add_argument("--seed", default="0", help="random seed (default 0): same seed + settings = same sentences")
    parser.add_argument("--min-units", default="3", help="fewest scoring units in a sentence (default 3)")
    parser.add_argument("--max-units", default="40", help="most scoring units in a sentence (default 40)")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="sentences that must not come out: a Kaldi text file (or a data folder) or JSON lines (repeatable)",
    )
    parser.add_argument(
        "--command",
        dest="external",
        metavar="COMMAND",
        help='external generator: a shell command printing JSON lines {"pair": ..., "segments": [{"lang", "text"}, '
        '...], "kind": ...}; its lines pass the same checks, rejected ones are reported',
    )
    parser.add_argument("--command-timeout", default="600", help="seconds the command may run (default 600)")
    parser.add_argument("--out-dir", required=True, help="output folder (replaced whole, atomically)")


def _whole(option: str, text: str, least: int | None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or (least is not None and value < least):
        need = "a whole number" + (f" of at least {least}" if least is not None else "")
        raise ConfigError(f"{option}: expected {need}, got {text!r}")
    return value


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def plot_summary(folder: Path, summary: dict[str, Any]) -> None:
    """``summary.png``: sentences per pair and kind, the CMI histogram, the switch-count histogram and the word
    types per language (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    pairs = list(summary["per_pair"])
    bottom = [0] * len(pairs)
    for kind in summary["per_kind"]:
        counts = [summary["per_pair"][p]["per_kind"].get(kind, 0) for p in pairs]
        axes[0, 0].bar(pairs, counts, bottom=bottom, label=kind)
        bottom = [b + c for b, c in zip(bottom, counts)]
    axes[0, 0].set_title("sentences per pair and switch kind")
    axes[0, 0].legend()
    axes[0, 0].tick_params(axis="x", rotation=45)
    edges = summary["cmi"]["bin_edges"]
    axes[0, 1].bar(edges[:-1], summary["cmi"]["counts"], width=edges[1] - edges[0], align="edge", edgecolor="white")
    axes[0, 1].set_title(f"code-mixing index (mean {summary['cmi']['mean']})")
    axes[0, 1].set_xlabel("CMI")
    switches = summary["switches"]
    axes[1, 0].bar([int(n) for n in switches], list(switches.values()))
    axes[1, 0].set_xticks([int(n) for n in switches])
    axes[1, 0].set_title("language switches per sentence")
    axes[1, 0].set_xlabel("switches")
    types = summary["word_types"]
    axes[1, 1].bar(list(types), list(types.values()))
    axes[1, 1].set_title("word types (distinct scoring units) per language")
    fig.tight_layout()
    fig.savefig(folder / "summary.png", dpi=100)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    from cstoolkit.text.generate import KINDS, Settings, generate, read_exclude, run_command, write_output

    settings = Settings(
        pairs=_names(args.pairs) if args.pairs is not None else None,
        kinds=_names(args.kinds) if args.kinds is not None else KINDS,
        per_pair=_whole("--per-pair", args.per_pair, 1),
        seed=_whole("--seed", args.seed, None),
        min_units=_whole("--min-units", args.min_units, 1),
        max_units=_whole("--max-units", args.max_units, 1),
        exclude=read_exclude(args.exclude),
    )
    if args.external is not None:
        result = run_command(args.external, settings, timeout=_whole("--command-timeout", args.command_timeout, 1))
    else:
        result = generate(settings)
    write_output(args.out_dir, result, extra=plot_summary)
    rejected = f", {len(result.rejected)} command lines rejected" if args.external is not None else ""
    print(
        f"{len(result.sentences)} sentences of {len(settings.pairs)} language pair(s){rejected} in {args.out_dir} "
        f"(generation.json, summary.png)"
    )
    return 0
