"""``cstk tokenizer-report``: codebook usage, MER through the quantizer vs the CS-ASR, speaker invariance."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from cstoolkit.config import load_config
from cstoolkit.errors import InputFileError

HELP = "measure a tokenizer's tokens: codebook usage, MER through the quantizer vs the CS-ASR, speaker invariance"
log = logging.getLogger("cstoolkit.tokenizer_report")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", required=True, help="trained tokenizer directory (report.json/png go here)")
    parser.add_argument("--data-root", required=True, help="folder of the split data dirs holding speech_tokens")
    parser.add_argument("--splits", default="train,dev,test", help="comma-separated splits (train: speaker pairs)")
    parser.add_argument("--decode-dir", help="test set decoded through the quantizer and scored (decode-tokenizer)")
    parser.add_argument("--asr-decode-dir", help="the same test set decoded by the continuous CS-ASR and scored")
    parser.add_argument(
        "--test-dir",
        help="the data dir both decode dirs decoded, for the paired difference quantized - continuous (interval, "
        "p-value; default: <data-root>/test when it has a text file)",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        help="Hydra overrides of the scoring, as given to decode-asr/decode-tokenizer, e.g. metric.lam=1 "
        "metric.bootstrap=2000",
    )


def run(args: argparse.Namespace) -> int:
    from cstoolkit.asr.score import check_metric_config
    from cstoolkit.tokenizer.checks import read_tokenizer_config

    read_tokenizer_config(args.model_dir)
    cfg = load_config(args.overrides)
    check_metric_config(cfg.metric)
    from cstoolkit.tokenizer.report import tokenizer_report

    splits = {s: Path(args.data_root) / s for s in args.splits.split(",") if s}
    test_dir: Path | None = Path(args.test_dir) if args.test_dir else Path(args.data_root) / "test"
    if not (test_dir / "text").is_file():
        if args.test_dir:
            raise InputFileError(test_dir / "text", "no such file: --test-dir must be the data dir that was decoded")
        test_dir = None
        if args.decode_dir and args.asr_decode_dir:
            log.info("no test data dir (--test-dir): the report has no paired difference of the two decodings")
    tokenizer_report(
        args.model_dir, splits, args.decode_dir, args.asr_decode_dir, test_dir=test_dir, metric_cfg=cfg.metric
    )
    return 0
