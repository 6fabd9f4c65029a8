"""``cstk transcribe``: transcribe audio files (any sample rate) with a trained model; prints ``file<TAB>text``.

A file that cannot be read is reported on stderr and the others are still transcribed; the exit code is then 2.
"""

from __future__ import annotations

import argparse
import sys

from cstoolkit.cli.common import positive_int
from cstoolkit.core.runtime import set_torch_threads

HELP = "transcribe audio files with a trained CS-ASR model (prints file<TAB>text)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="trained model directory (e.g. exp/asr)")
    parser.add_argument("audio", nargs="+", help="audio files (wav, flac, mp3, m4a, ...)")
    parser.add_argument("--method", choices=("greedy", "beam"), default="beam")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's)")


def run(args: argparse.Namespace) -> int:

    from cstoolkit.asr.checks import read_model_config

    read_model_config(args.model)  # a missing or broken model is refused before torch loads

    from cstoolkit.asr.inference import transcribe

    set_torch_threads(args.threads)
    failed: dict[str, str] = {}
    texts = transcribe(args.audio, args.model, args.method, args.device, failed=failed)
    for path, text in zip(args.audio, texts):
        if text is None:
            print(f"cstk transcribe: error: {failed[str(path)]}", file=sys.stderr, flush=True)
        else:
            print(f"{path}\t{text}", flush=True)
    return 2 if failed else 0
