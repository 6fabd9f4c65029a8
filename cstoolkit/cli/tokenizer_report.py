"""``cstk tokenizer-report``: codebook usage, MER through the quantizer vs the CS-ASR, speaker invariance."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "measure a tokenizer's tokens: codebook usage, MER through the quantizer vs the CS-ASR, speaker invariance"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", required=True, help="trained tokenizer directory (report.json/png go here)")
    parser.add_argument("--data-root", required=True, help="folder of the split data dirs holding speech_tokens")
    parser.add_argument("--splits", default="train,dev,test", help="comma-separated splits (train: speaker pairs)")
    parser.add_argument("--decode-dir", help="test set decoded through the quantizer and scored (decode-tokenizer)")
    parser.add_argument("--asr-decode-dir", help="the same test set decoded by the continuous CS-ASR and scored")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.tokenizer.checks import read_tokenizer_config

    read_tokenizer_config(args.model_dir)
    from cstoolkit.tokenizer.report import tokenizer_report

    splits = {s: Path(args.data_root) / s for s in args.splits.split(",") if s}
    tokenizer_report(args.model_dir, splits, args.decode_dir, args.asr_decode_dir)
    return 0
