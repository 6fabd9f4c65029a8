"""``cstk align-units``: text units aligned to speech-token frames with the tokenizer's CTC head (T2S durations).

Writes ``text_units``, ``unit_durations``, ``unit_langs`` and ``unit_align.json`` into each ``--data-dir``;
utterances that cannot be aligned are logged one by one and listed in ``unit_align.json``.
"""

from __future__ import annotations

import argparse

from cstoolkit.cli.common import positive_int
from cstoolkit.core.runtime import set_torch_threads

HELP = "align text units to speech-token frames with the tokenizer's CTC head (durations for the T2S model)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokenizer-dir", required=True, help="trained tokenizer directory (e.g. exp/tokenizer)")
    parser.add_argument(
        "--data-dir",
        action="append",
        required=True,
        help="data directory with feats.scp, text and speech_tokens (repeatable)",
    )
    parser.add_argument("--nj", type=positive_int, default=1, help="processes (default 1)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads per process")


def run(args: argparse.Namespace) -> int:

    from cstoolkit.tokenizer.checks import read_tokenizer_config

    read_tokenizer_config(args.tokenizer_dir)  # a missing or broken model is refused before torch loads

    from cstoolkit.tts.t2s.align import align_dirs

    set_torch_threads(args.threads)
    align_dirs(args.tokenizer_dir, args.data_dir, args.nj, args.device, args.threads)
    return 0
