"""``cstk train-tokenizer``: the CS-ASR with a quantizer inside its encoder, trained with the ASR loss; resumes."""

from __future__ import annotations

import argparse
import logging

from cstoolkit.config import load_config

HELP = "train the supervised speech tokenizer (a quantizer inside the CS-ASR encoder) with the Lightning trainer"
log = logging.getLogger("cstoolkit.train_tokenizer")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train-dir", required=True, help="training data directory with feats.scp and text")
    parser.add_argument("--dev-dir", required=True, help="validation data directory with feats.scp and text")
    parser.add_argument("--exp-dir", required=True, help="tokenizer directory to write (resumed if it has checkpoints)")
    parser.add_argument("--asr-dir", help="trained CS-ASR to start from (tokenizer.init_from_asr; e.g. exp/asr)")
    parser.add_argument("--units-dir", help="units directory (cstk units), needed when training from scratch")
    parser.add_argument("--stats-file", help="GlobalMVN statistics from scratch (default: <train-dir>/feats_stats.npz)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. tokenizer=gpu tokenizer.train.max_epochs=3")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.tokenizer.checks import check_tokenizer_config

    cfg = load_config(args.overrides)
    check_tokenizer_config(cfg)  # before torch is imported: a bad value is refused at once
    from cstoolkit.tokenizer.train import train_tokenizer

    result = train_tokenizer(
        args.train_dir, args.dev_dir, args.units_dir, args.exp_dir, cfg, args.asr_dir, args.stats_file
    )
    if result.averaged_from:
        log.info("tokenizer: %s (from %s)", result.averaged_model, ", ".join(result.averaged_from))
    return 0
