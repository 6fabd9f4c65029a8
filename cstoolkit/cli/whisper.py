"""``cstk whisper``: the off-the-shelf baseline, Whisper base via faster-whisper, offline from pip packages."""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.config import load_config

HELP = "decode a data directory with Whisper base (faster-whisper, offline) into hyp.txt"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", required=True, help="data directory with wav.scp")
    parser.add_argument("--out-dir", required=True, help="where hyp.txt and decode.json go")
    parser.add_argument("--score", action="store_true", help="also score with SAER (saer.json, report.html, PNG)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. whisper.beam_size=1 whisper.model_dir=DIR")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.asr.whisper import decode_whisper

    cfg = load_config(args.overrides)
    if args.score:
        from cstoolkit.asr.score import check_metric_config

        check_metric_config(cfg.metric)  # a bad scoring setting fails before the decoding, not after
    decode_whisper(args.data_dir, args.out_dir, cfg.whisper, int(cfg.features.fbank.sample_rate))
    if args.score:
        from cstoolkit.asr.score import score_decoding

        score_decoding(args.data_dir, args.out_dir, cfg.metric, "Whisper base " + Path(args.out_dir).name)
    return 0
