"""``cstk combine-data``: data directories joined into one training set, each taken ``--weight`` times, with an
optional filter on how well a CS-ASR read each utterance back, refused when a sentence is one of held-out data.

    cstk combine-data --data-dir data/train --data-dir data/train_tts --weight 1 --weight 0.5 \\
        --held-out data/dev --held-out data/test --out-dir data/train_mix
"""

from __future__ import annotations

import argparse

HELP = "join data directories into one training set (weights, a read-back filter, held-out check)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", action="append", required=True, help="data directory to take (repeatable)")
    parser.add_argument(
        "--weight",
        action="append",
        type=float,
        default=[],
        help="times each --data-dir is taken, in order (0.5: a seeded half, 2: twice; default 1 each)",
    )
    parser.add_argument("--out-dir", required=True, help="data directory to write (replaced whole)")
    parser.add_argument(
        "--held-out", action="append", default=[], help="data directory none of whose sentences may be in the set"
    )
    parser.add_argument(
        "--scores", help="per_utt.tsv of decoding the (synthetic) utterances (cstk decode-asr --score), for --max-mer"
    )
    parser.add_argument(
        "--max-mer", type=float, help="drop utterances whose MER in --scores is above this (the ASR misread them)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampled fractions")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cstoolkit.data.combine import Source, combine_data_dirs, read_scores
    from cstoolkit.errors import ConfigError

    weights = args.weight or [1.0] * len(args.data_dir)
    if len(weights) != len(args.data_dir) or any(w < 0 for w in weights):
        raise ConfigError(f"--weight: one non-negative weight per --data-dir ({len(args.data_dir)}), got {weights}")
    if (args.scores is None) != (args.max_mer is None):
        raise ConfigError("--scores and --max-mer go together")
    scores = read_scores(args.scores) if args.scores else None
    sources = [Source(Path(d), w) for d, w in zip(args.data_dir, weights, strict=True)]
    report = combine_data_dirs(sources, args.out_dir, args.seed, args.held_out, scores, args.max_mer)
    for s in report["sources"]:
        print(
            f"{s['path']}: {s['utterances_out']} of {s['utterances_in']} utterances"
            f" (weight {s['weight']:g}, {s['dropped_by_filter']} dropped by the filter, {s['hours_out']} h)"
        )
    print(f"{report['utterances']} utterances in {args.out_dir}")
    return 0
