"""``cstk embed-speakers``: a resemblyzer d-vector per utterance of data directories (``utt_embed.scp``)."""

from __future__ import annotations

import argparse
import sys

HELP = "speaker embeddings (resemblyzer d-vectors) of every utterance of data directories: <dir>/utt_embed.scp"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", action="append", required=True, help="a Kaldi data directory (repeatable)")
    parser.add_argument("--device", default="cpu", help="torch device of the speaker encoder")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. flow.speaker.rate=2.0")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.config import load_config

    cfg = load_config(args.overrides)
    from cstoolkit.tts.pretrained.speaker import SpeakerEncoder, embed_data_dir

    encoder = SpeakerEncoder(args.device, float(cfg.flow.speaker.rate), float(cfg.flow.speaker.min_coverage))
    bad = 0
    for data_dir in args.data_dir:
        failed = embed_data_dir(data_dir, encoder)
        for reason in failed.values():
            print(f"cstk embed-speakers: error: {reason}", file=sys.stderr, flush=True)
        bad += len(failed)
    return 2 if bad else 0
