"""``cstk train-flow``: the flow-matching acoustic model (speech tokens + voice prompt -> mel); resumes if killed."""

from __future__ import annotations

import argparse
import logging

from cstoolkit.config import load_config

HELP = "train the flow-matching acoustic model (speech tokens + speaker + voice prompt -> mel) with the trainer"
log = logging.getLogger("cstoolkit.train_flow")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train-dir", required=True, help="data directory with speech_tokens, mel.scp, utt_embed.scp")
    parser.add_argument("--dev-dir", help="validation data directory (the same files)")
    parser.add_argument("--tokenizer-dir", required=True, help="the speech tokenizer the tokens come from")
    parser.add_argument("--exp-dir", required=True, help="model directory to write (resumed if it has checkpoints)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. flow=flow_gpu flow.train.max_epochs=5")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.train.checks import check_model_config, check_trainer_config

    cfg = load_config(args.overrides)
    check_model_config(cfg.flow, "flow")  # before torch is imported: a bad value is refused at once
    check_trainer_config(cfg.trainer)
    from cstoolkit.tts.flow.train import train_flow

    result = train_flow(args.train_dir, args.dev_dir, args.tokenizer_dir, args.exp_dir, cfg)
    if result.averaged_from:
        log.info("flow model: %s (from %s)", result.averaged_model, ", ".join(result.averaged_from))
    return 0
