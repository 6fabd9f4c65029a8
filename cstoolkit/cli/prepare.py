"""``cstk prepare``: stage 0, a corpus into ``<work_dir>/data/{train,dev,test}`` (Kaldi dirs + manifest + report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import positive_int

HELP = "stage 0: prepare the SwitchLingua release (--data_root) or the embedded demo corpus into Kaldi data dirs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data_root", default="", help="SwitchLingua audio release; empty: the embedded demo corpus")
    parser.add_argument("--work_dir", default=".", help="data goes to WORK_DIR/data (default: current folder)")
    parser.add_argument("--nj", type=positive_int, default=None, help="parallel jobs (default: data.nj of the config)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. data.mini.train_sentences=50")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.config import load_config
    from cstoolkit.data.prepare import prepare

    cfg = load_config(args.overrides)
    prepare(args.data_root or None, Path(args.work_dir) / "data", cfg.data, args.nj or cfg.data.nj)
    return 0
