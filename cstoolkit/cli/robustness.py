"""``cstk robustness``: decode and score a test set under every condition that ``cstk corrupt`` wrote, in one table:
MER and SAER of each condition with their bootstrap intervals (``metric.bootstrap``, ``metric.seed``,
``metric.ci_level``) and the paired difference to the clean condition (interval, p-value).

The recogniser is a trained CS-ASR model (``--model-dir``) or the Whisper baseline (``--whisper``, with the
``whisper`` config group: ``whisper.language=utt2lang`` as in the recipe).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from omegaconf import OmegaConf

from cstoolkit.cli.common import open_decoder
from cstoolkit.config import load_config

HELP = "decode + score a test set under noise, speed, reverb, telephone conditions (after cstk corrupt)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    system = parser.add_mutually_exclusive_group(required=True)
    system.add_argument("--model-dir", help="trained CS-ASR model directory (cstk train-asr --exp-dir)")
    system.add_argument("--whisper", action="store_true", help="the Whisper baseline (whisper config group)")
    parser.add_argument("--conditions-dir", required=True, help="cstk corrupt --condition all --out-dir")
    parser.add_argument("--out-dir", required=True, help="<condition>/{hyp.txt,saer.json,...} + robustness.*")
    parser.add_argument("--conditions", default="", help="comma-separated names (default: every finished one)")
    parser.add_argument("--method", choices=("greedy", "beam"), help="CS-ASR search (default: the model's)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. whisper.language=utt2lang")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.asr.checks import prepare_out_dir
    from cstoolkit.asr.robustness import condition_dirs, evaluate_conditions
    from cstoolkit.asr.score import check_metric_config

    cfg = load_config(args.overrides)
    check_metric_config(cfg.metric)  # a bad scoring setting fails before any model loads
    names = [n.strip() for n in args.conditions.split(",") if n.strip()]
    conditions = condition_dirs(args.conditions_dir, names or None)
    if args.whisper:
        from cstoolkit.asr.checks import check_whisper_config
        from cstoolkit.asr.whisper import decode_whisper

        check_whisper_config(cfg.whisper)
        sample_rate = int(cfg.features.fbank.sample_rate)
        title = "Whisper base" + (" (given language)" if cfg.whisper.language == "utt2lang" else "")

        def decode(data_dir: Path, out_dir: Path) -> None:
            decode_whisper(data_dir, out_dir, cfg.whisper, sample_rate)

        key = {"whisper": OmegaConf.to_container(cfg.whisper, resolve=True), "sample_rate": sample_rate}
    else:
        bundle, decode_cfg = open_decoder(args.model_dir, args.device, cfg, args.overrides)
        from cstoolkit.asr.inference import decode_dir

        method = args.method or decode_cfg.method
        title = f"CS-ASR ({method})"

        def decode(data_dir: Path, out_dir: Path) -> None:
            prepare_out_dir(out_dir)
            decode_dir(bundle, data_dir, out_dir, method, decode_cfg)

        weights = Path(args.model_dir).resolve()
        stamps = {str(p.relative_to(weights)): p.stat().st_mtime_ns for p in sorted(weights.glob("*.pth"))}
        key = {
            "model": str(weights),
            "weights": stamps,
            "method": method,
            "decode": OmegaConf.to_container(decode_cfg, resolve=True),
        }

    evaluate_conditions(conditions, args.out_dir, decode, cfg.metric, title, key)
    return 0
