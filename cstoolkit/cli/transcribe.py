"""``cstk transcribe``: transcribe audio files (any sample rate) with a trained model; prints ``file<TAB>text``."""

from __future__ import annotations

import argparse

HELP = "transcribe audio files with a trained CS-ASR model (prints file<TAB>text)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="trained model directory (e.g. exp/asr)")
    parser.add_argument("audio", nargs="+", help="audio files (wav, flac, mp3, m4a, ...)")
    parser.add_argument("--method", choices=("greedy", "beam"), default="beam")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see cstoolkit.train.env; before torch is imported
    import torch

    from cstoolkit.asr.inference import transcribe

    if args.threads:
        torch.set_num_threads(args.threads)
    for path, text in zip(args.audio, transcribe(args.audio, args.model, args.method, args.device)):
        print(f"{path}\t{text}", flush=True)
    return 0
