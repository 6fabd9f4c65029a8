"""``cstk tts-samples``: the listening page of the TTS evaluation (``exp/tts/samples.html``).

Reads the comparison table ``cstk evaluate-tts --table`` wrote (its rows name their folders) and writes one HTML file:
the numbers overall and per language pair, then a few sentences of every language pair with one audio player per
system. Audio is linked relative to the page (non-WAV audio converted to WAV into ``<page>_audio/``).
"""

from __future__ import annotations

import argparse

from cstoolkit.cli.common import positive_int

HELP = "write the listening page of the TTS evaluation: the numbers, and audio of every system for a few sentences"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", required=True, help="cstk evaluate-tts's table (e.g. exp/tts/evaluation.json)")
    parser.add_argument("--out", required=True, help="HTML page to write (e.g. exp/tts/samples.html)")
    parser.add_argument("--per-pair", type=positive_int, default=2, help="sentences per language pair (default 2)")
    parser.add_argument("--title", help="page title")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.tts.eval.samples import write_samples_page

    picked = write_samples_page(args.table, args.out, args.per_pair, args.title)
    print(f"{args.out}: {sum(map(len, picked.values()))} sentences of {len(picked)} language pairs")
    return 0
