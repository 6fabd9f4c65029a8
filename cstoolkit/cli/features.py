"""``cstk features``: stage 1, fbank (ASR) + HiFi-GAN mel (TTS) + global CMVN for every split of a work dir, and the
augmented copies of the train split (``augment`` config group)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import positive_int

HELP = (
    "stage 1: the ASR input (80-dim fbank at 16 kHz, or Whisper encoder states with features.asr_input=whisper), "
    "80-bin HiFi-GAN log-mel (22.05 kHz) and CMVN stats for WORK_DIR/data/*; "
    "augmented copies of train (augment.copies)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--work_dir", default=".", help="folder holding data/<split> (default: current folder)")
    parser.add_argument("--nj", type=positive_int, default=None, help="parallel jobs (default: data.nj of the config)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. features.fbank.num_mel_bins=40")


def run(args: argparse.Namespace) -> int:
    import logging

    from omegaconf import OmegaConf

    from cstoolkit.config import check_config, load_config, whole
    from cstoolkit.data.corrupt import make_augmented_copies
    from cstoolkit.data.features import compute_features

    cfg = load_config(args.overrides)
    check_config(cfg.data, {"nj": whole(1)}, "data")
    data_dir = Path(args.work_dir) / "data"
    nj = args.nj or cfg.data.nj
    done = compute_features(data_dir, cfg.features, nj)
    log = logging.getLogger("cstk.features")
    log.info("computed: %s", ", ".join(done) or "nothing (all up to date)")
    augment = OmegaConf.to_container(cfg.augment, resolve=True)
    reports = make_augmented_copies(data_dir, augment, nj, OmegaConf.to_container(cfg.features, resolve=True))
    for report in reports:
        for reason in report.failed.values():
            log.warning("augmented copy: %s (left out of that copy)", reason)
        state = "up to date" if report.skipped else "written"
        log.info(
            "augmented copy %s of %s: %d utterances %s", report.condition, augment["split"], report.utterances, state
        )
    return 0
