"""``cstk corrupt``: a data directory under a named test condition (noise, babble, speed, reverb, telephone band).

With ``--condition all`` every condition goes to its own sub-folder of ``--out-dir``. An utterance whose audio
cannot be read is reported on stderr and left out; the others are still written, and the exit code is then 2.
"""

from __future__ import annotations

import argparse
import sys

from cstoolkit.cli.common import positive_int

HELP = "write a data directory under a test condition (white_20db, babble_15db, speed_0.9, reverb, ... or all)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--condition", required=True, help="a condition name, or 'all' (see cstoolkit.data.corrupt)")
    parser.add_argument("--data-dir", required=True, help="Kaldi data directory (wav.scp, text, utt2spk, ...)")
    parser.add_argument("--out-dir", required=True, help="new data directory (with all: one sub-folder per condition)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: seed of the config)")
    parser.add_argument("--nj", type=positive_int, default=None, help="parallel jobs (default: data.nj of the config)")
    parser.add_argument("--no-features", action="store_true", help="audio and Kaldi files only, no fbank/mel")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. features.fbank.num_mel_bins=40")


def run(args: argparse.Namespace) -> int:
    import logging

    from omegaconf import OmegaConf

    from cstoolkit.config import check_config, load_config, whole
    from cstoolkit.data.corrupt import CONDITIONS, condition, corrupt_all, corrupt_data_dir

    if args.condition != "all":
        condition(args.condition)  # an unknown name is refused before the config is composed
    cfg = load_config(args.overrides)
    check_config(cfg.data, {"nj": whole(1)}, "data")
    features = None if args.no_features else OmegaConf.to_container(cfg.features, resolve=True)
    seed = int(cfg.seed) if args.seed is None else args.seed
    nj = args.nj or cfg.data.nj
    if args.condition == "all":
        reports = corrupt_all(args.data_dir, list(CONDITIONS), args.out_dir, seed, nj, features)
    else:
        reports = [corrupt_data_dir(args.data_dir, args.condition, args.out_dir, seed, nj, features)]
    log = logging.getLogger("cstk.corrupt")
    failed = False
    for report in reports:
        for reason in report.failed.values():
            print(f"cstk corrupt: error: {reason}", file=sys.stderr)
        failed = failed or bool(report.failed)
        state = "up to date, skipped" if report.skipped else "written"
        log.info(
            "%s: %d utterance(s) %s in %s%s",
            report.condition,
            report.utterances,
            state,
            report.out_dir,
            f", {len(report.failed)} failed" if report.failed else "",
        )
    return 2 if failed else 0
