"""``cstk vocode``: copy synthesis, every real log-mel of a data directory (mel.scp) through the HiFi-GAN vocoder."""

from __future__ import annotations

import argparse
import sys

from cstoolkit.cli.common import add_dir_pairs, dir_pairs, positive_int
from cstoolkit.core.runtime import set_torch_threads

HELP = "copy synthesis: the real log-mel of every utterance (mel.scp) through the HiFi-GAN vocoder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dir_pairs(
        parser,
        "data directory with mel.scp (cstk features)",
        "folder to write: wav/<uttid>.wav, wav.scp, synthesis.json",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. flow.vocoder.model=LJSpeech")


def run(args: argparse.Namespace) -> int:

    from omegaconf import OmegaConf

    from cstoolkit.config import load_config

    pairs = dir_pairs(args)
    cfg = load_config(args.overrides)
    mel_cfg = OmegaConf.to_container(cfg.features.mel, resolve=True)

    from cstoolkit.tts.flow.synthesis import vocode_dir
    from cstoolkit.tts.pretrained.vocoder import Vocoder

    set_torch_threads(args.threads)
    vocoder = Vocoder(str(cfg.flow.vocoder.model), args.device, mel_cfg)
    skipped = 0
    for data_dir, out_dir in pairs:
        info = vocode_dir(data_dir, out_dir, vocoder, vocoder.sample_rate, vocoder.n_mels)
        for utt, reason in sorted(info["skipped"].items()):
            print(f"cstk vocode: error: {data_dir}: {utt} left out: {reason}", file=sys.stderr, flush=True)
        skipped += len(info["skipped"])
    return 2 if skipped else 0
