"""``cstk tokenize``: speech tokens of audio files (``file<TAB>t1 t2 ...`` on stdout) or of whole data directories.

A file that cannot be read is reported on stderr and the others are still tokenized; the exit code is then 2.
``--data-dir`` (repeatable) writes ``<dir>/speech_tokens`` (``uttid t1 t2 ...``) for every utterance with features.
"""

from __future__ import annotations

import argparse
import sys

from cstoolkit.cli.common import positive_int
from cstoolkit.core.runtime import set_torch_threads

HELP = "speech tokens of audio files (prints file<TAB>tokens) or of data directories (writes <dir>/speech_tokens)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="trained tokenizer directory (e.g. exp/tokenizer)")
    parser.add_argument("audio", nargs="*", help="audio files (wav, flac, mp3, m4a, ...; any sample rate)")
    parser.add_argument("--data-dir", action="append", default=[], help="a Kaldi data directory with feats.scp")
    parser.add_argument("--nj", type=positive_int, default=1, help="processes for the data directories (default 1)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads per process")


def run(args: argparse.Namespace) -> int:

    from cstoolkit.errors import CstkError
    from cstoolkit.tokenizer.checks import read_tokenizer_config

    if not args.audio and not args.data_dir:
        raise CstkError("name audio files or --data-dir")
    read_tokenizer_config(args.model)  # a missing or broken model is refused before torch loads

    from cstoolkit.tokenizer.extract import SpeechTokenizer, tokenize_dirs

    set_torch_threads(args.threads)
    bad = 0
    done = tokenize_dirs(args.model, args.data_dir, args.nj, args.device, args.threads) if args.data_dir else []
    for data_dir, stats in zip(args.data_dir, done):
        for utt, reason in sorted(stats.failed.items()):
            print(f"cstk tokenize: error: {data_dir}: {utt}: {reason}", file=sys.stderr, flush=True)
        bad += len(stats.failed)
    if args.audio:
        failed: dict[str, str] = {}
        tokens = SpeechTokenizer.load(args.model, args.device).encode_files(args.audio, failed=failed)
        for path, ids in zip(args.audio, tokens):
            if ids is None:
                print(f"cstk tokenize: error: {failed[str(path)]}", file=sys.stderr, flush=True)
            else:
                print(f"{path}\t{' '.join(map(str, ids))}", flush=True)
        bad += len(failed)
    return 2 if bad else 0
