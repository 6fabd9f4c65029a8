"""``cstk train-t2s``: the text -> speech-token model (NAR; ``t2s=ar_cpu``: autoregressive); resumes if killed."""

from __future__ import annotations

import argparse
import logging

from cstoolkit.config import load_config

HELP = (
    "train the text -> speech-token model (text units + language + speaker -> speech tokens; NAR, or AR with "
    "t2s=ar_cpu) with the shared trainer"
)
log = logging.getLogger("cstoolkit.train_t2s")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--train-dir",
        required=True,
        help="data directory with speech_tokens, text_units, unit_durations, unit_langs "
        "(cstk align-units) and utt_embed.scp",
    )
    parser.add_argument("--dev-dir", help="validation data directory (the same files)")
    parser.add_argument("--tokenizer-dir", required=True, help="the speech tokenizer the tokens and units come from")
    parser.add_argument("--exp-dir", required=True, help="model directory to write (resumed if it has checkpoints)")
    parser.add_argument(
        "--flow-dir",
        help="the flow model (cstk train-flow) that speaks the tokens: recorded in "
        "t2s.json for cstk synthesize (same tokenizer required)",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. t2s.train.max_epochs=5")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.tts.t2s.checks import check_t2s_config

    cfg = load_config(args.overrides)
    check_t2s_config(cfg)  # before torch is imported: a bad value is refused at once
    from cstoolkit.tts.t2s.train import train_t2s

    result = train_t2s(args.train_dir, args.dev_dir, args.tokenizer_dir, args.exp_dir, cfg, args.flow_dir)
    if result.averaged_from:
        log.info("t2s model: %s (from %s)", result.averaged_model, ", ".join(result.averaged_from))
    return 0
