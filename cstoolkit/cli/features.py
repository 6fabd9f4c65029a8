"""``cstk features``: stage 1, fbank (ASR) + HiFi-GAN mel (TTS) + global CMVN for every split of a work dir."""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import positive_int

HELP = "stage 1: 80-dim fbank (16 kHz), 80-bin HiFi-GAN log-mel (22.05 kHz) and CMVN stats for WORK_DIR/data/*"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--work_dir", default=".", help="folder holding data/<split> (default: current folder)")
    parser.add_argument("--nj", type=positive_int, default=None, help="parallel jobs (default: data.nj of the config)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. features.fbank.num_mel_bins=40")


def run(args: argparse.Namespace) -> int:
    import logging

    from cstoolkit.config import check_config, load_config, whole
    from cstoolkit.data.features import compute_features

    cfg = load_config(args.overrides)
    check_config(cfg.data, {"nj": whole(1)}, "data")
    done = compute_features(Path(args.work_dir) / "data", cfg.features, args.nj or cfg.data.nj)
    logging.getLogger("cstk.features").info("computed: %s", ", ".join(done) or "nothing (all up to date)")
    return 0
