"""``cstk decode-tokenizer``: decode a data directory through the quantized encoder and score it as decode-asr does."""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import add_dir_pairs, dir_pairs, open_decoder
from cstoolkit.config import load_config

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
    pairs = dir_pairs(args)
    cfg = load_config(args.overrides)
    if args.score:
        from cstoolkit.asr.score import check_metric_config

        check_metric_config(cfg.metric)  # a bad scoring setting fails before the decoding, not after
    bundle, decode_cfg = open_decoder(
        args.model_dir, args.device, cfg, args.overrides, "tokenizer", [out for _, out in pairs]
    )
    from cstoolkit.asr.inference import decode_dir

    for data_dir, out_dir in pairs:
        decode_dir(bundle, data_dir, out_dir, args.method or decode_cfg.method, decode_cfg)
        if args.score:
            from cstoolkit.asr.score import score_decoding

            score_decoding(data_dir, out_dir, cfg.metric, "tokenizer " + Path(out_dir).name)
    return 0
