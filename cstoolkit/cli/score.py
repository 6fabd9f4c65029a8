"""``cstk score``: SAER of a hypothesis file into a folder of reports (saer.json, report.html, breakdown.png)."""

from __future__ import annotations

import argparse
import logging

from cstoolkit.config import load_config
from cstoolkit.metrics.scoring import config_from_mapping, resampling_from_mapping, score_files, write_reports

HELP = (
    "score hypotheses with SAER and write saer.json, per_utt.tsv, report.html and breakdown.png, with bootstrap "
    "intervals (metric.bootstrap resamples; 0: none)"
)
log = logging.getLogger("cstoolkit.score")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ref", required=True, help="reference transcripts (Kaldi text)")
    parser.add_argument("--hyp", required=True, help="hypothesis transcripts (Kaldi text)")
    parser.add_argument("--out-dir", required=True, help="folder for the reports")
    parser.add_argument("--utt2lang", help="utterance tags for per-tag breakdowns")
    parser.add_argument("--utt2seg", help="word-level language segments of the reference (JSON lines)")
    parser.add_argument(
        "--missing",
        choices=("error", "empty"),
        default="empty",
        help="hypothesis missing for a reference id (default: score as empty)",
    )
    parser.add_argument("--title", default="SAER report")
    parser.add_argument(
        "overrides", nargs="*", help="Hydra overrides, e.g. metric.lam=1 metric.model=e5-small-nano metric.bootstrap=0"
    )


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.overrides)
    resampling = resampling_from_mapping(cfg.metric)
    result = score_files(
        args.ref,
        args.hyp,
        config_from_mapping(cfg.metric),
        "kaldi",
        args.missing,
        args.utt2lang,
        args.utt2seg,
        cfg.metric.get("cache"),
        jobs=int(cfg.metric.get("jobs", 1)),
        resampling=resampling,
    )
    write_reports(result, args.out_dir, args.title)
    log.info("%s", result.summary().replace("\n", " | "))
    log.info("reports in %s", args.out_dir)
    return 0
