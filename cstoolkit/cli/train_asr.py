"""``cstk train-asr``: train the conformer CTC/attention model; a re-run resumes from the last checkpoint."""

from __future__ import annotations

import argparse
import logging

from cstoolkit.config import load_config

HELP = "train the CS-ASR model (ESPnet conformer, hybrid CTC/attention) with the Lightning trainer"
log = logging.getLogger("cstoolkit.train_asr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train-dir", required=True, help="training data directory with feats.scp and text")
    parser.add_argument("--dev-dir", required=True, help="validation data directory with feats.scp and text")
    parser.add_argument("--units-dir", required=True, help="units directory written by cstk units")
    parser.add_argument("--exp-dir", required=True, help="model directory to write (resumed if it holds checkpoints)")
    parser.add_argument("--stats-file", help="GlobalMVN statistics (default: <train-dir>/feats_stats.npz)")
    parser.add_argument(
        "--init-from",
        help="fine-tune: start from the weights of this trained CS-ASR model directory (same units and architecture)",
    )
    parser.add_argument(
        "overrides", nargs="*", help="Hydra overrides, e.g. asr=gpu_base trainer=gpu asr.train.max_epochs=5"
    )


def run(args: argparse.Namespace) -> int:
    from cstoolkit.asr.checks import check_train_config

    cfg = load_config(args.overrides)
    check_train_config(cfg)  # before torch is imported: a bad value is refused at once
    from cstoolkit.asr.train import train_asr

    result = train_asr(args.train_dir, args.dev_dir, args.units_dir, args.exp_dir, cfg, args.stats_file, args.init_from)
    if result.averaged_from:  # rank 0 only: the other DDP ranks average nothing
        log.info("model: %s (average of %s)", result.averaged_model, ", ".join(result.averaged_from))
    return 0
