"""``cstk decode-tokenizer``: decode a data directory through the quantized encoder and score it as decode-asr does."""

from __future__ import annotations

import argparse

from cstoolkit.cli.common import add_dir_pairs, decode_and_score

HELP = "decode a data directory through the tokenizer's quantizer (how much of what was said the tokens keep)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", required=True, help="trained tokenizer directory (cstk train-tokenizer)")
    add_dir_pairs(parser, "data directory with feats.scp", "where hyp.txt and decode.json go (older outputs removed)")
    parser.add_argument("--method", choices=("greedy", "beam"), help="default: asr.decode.method of the model")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument(
        "--score",
        action="store_true",
        help="also score with SAER (saer.json with metric.bootstrap intervals, report.html, PNG)",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. asr.decode.beam_size=4 metric.lam=1")


def run(args: argparse.Namespace) -> int:
    return decode_and_score(args, "tokenizer", "tokenizer")
