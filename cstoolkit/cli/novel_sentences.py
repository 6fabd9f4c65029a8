"""``cstk novel-sentences``: new code-switched sentences made of a corpus's words (cstoolkit.data.novel), as a data
directory without audio that ``cstk synthesize --data-dir ... --prompts-from ...`` speaks and ``cstk evaluate-tts``
judges: does the TTS speak what it never heard, so that the CS-ASR reads it back?

    cstk novel-sentences --data-dir data/train --exclude data/dev --exclude data/test \\
        --speakers-from data/test --per-pair 3 --out-dir data/test_novel
"""

from __future__ import annotations

import argparse

from cstoolkit.cli.common import positive_int

HELP = "new code-switched sentences from a corpus's own language segments (swapped or crossed over), for TTS tests"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", required=True, help="data directory whose utt2seg.jsonl gives the segments")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        help="data directory whose sentences must not come out (repeatable; the --data-dir's own are always excluded)",
    )
    parser.add_argument("--speakers-from", required=True, help="data directory whose speakers (utt2spk) say them")
    parser.add_argument("--per-pair", type=positive_int, default=3, help="sentences per language pair (default 3)")
    parser.add_argument("--out-dir", required=True, help="new data directory (text, utt2lang, utt2seg.jsonl, ...)")
    parser.add_argument(
        "--kind",
        choices=("swap", "crossover"),
        default="swap",
        help="swap: one segment replaced "
        "by a same-language segment of another sentence (default); crossover: the start of one "
        "sentence joined to the end of another (a new structure)",
    )
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    from cstoolkit.data.novel import novel_dir

    made = novel_dir(args.data_dir, args.out_dir, args.speakers_from, args.exclude, args.per_pair, args.seed, args.kind)
    print(f"{len(made)} new sentences of {len({s.lang for s in made})} language pairs in {args.out_dir}")
    return 0
