"""``cstk <subcommand>``: the toolkit's command line. Each subcommand lives in its own module under cstoolkit.cli.

A subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int | None``.
Modules are imported only when their subcommand runs, so ``cstk --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cstoolkit.cli.common import run_main, setup_logging
from cstoolkit.core.runtime import init_process, set_torch_threads, thread_cap

#: subcommand name -> module under cstoolkit.cli
SUBCOMMANDS: dict[str, str] = {
    "prepare": "prepare",
    "validate-data": "validate_data",
    "features": "features",
    "units": "units",
    "train-asr": "train_asr",
    "decode-asr": "decode_asr",
    "whisper": "whisper",
    "transcribe": "transcribe",
    "score": "score",
    "corrupt": "corrupt",
    "robustness": "robustness",
    "train-tokenizer": "train_tokenizer",
    "decode-tokenizer": "decode_tokenizer",
    "tokenize": "tokenize",
    "tokenizer-report": "tokenizer_report",
    "embed-speakers": "embed_speakers",
    "train-flow": "train_flow",
    "align-units": "align_units",
    "train-t2s": "train_t2s",
    "vocode": "vocode",
    "resynthesize": "resynthesize",
    "evaluate-tts": "evaluate_tts",
    "novel-sentences": "novel_sentences",
    "generate-text": "generate_text",
    "normalize-text": "normalize_text",
    "synthesize": "synthesize",
    "tts-samples": "tts_samples",
    "synthetic-data": "synthetic_data",
    "combine-data": "combine_data",
    "compare-asr": "compare_asr",
}


class _IntermixedParser(argparse.ArgumentParser):
    """A subcommand parser that takes options and positional arguments in any order (``x=1 --nj 1 y=2``)."""

    _inside = False

    def parse_known_args(
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._inside:  # parse_known_intermixed_args calls back into this method
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def _available() -> dict[str, str]:
    """Subcommands whose modules exist in this installation."""
    return {name: mod for name, mod in SUBCOMMANDS.items() if importlib.util.find_spec(f"cstoolkit.cli.{mod}")}


def build_parser() -> argparse.ArgumentParser:
    """Top-level parser with one sub-parser per available subcommand."""
    parser = argparse.ArgumentParser(prog="cstk", description="cstoolkit: code-switched speech toolkit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_IntermixedParser)
    for name, mod in _available().items():
        module = importlib.import_module(f"cstoolkit.cli.{mod}")
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def init_runtime() -> None:
    """The process settings of every command, before any of them imports torch (:mod:`cstoolkit.core.runtime`):
    the OpenMP wait policy, and under ``CSTK_THREADS`` torch capped from the start, so that commands that never set
    their threads (resemblyzer's d-vectors) keep to it too; a bad value is a one-line error before anything runs."""
    init_process()
    if thread_cap() is not None:
        set_torch_threads()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cstk`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    status = run_main(init_runtime, prog=f"cstk {args.command}")
    if status:
        return status
    module = importlib.import_module(f"cstoolkit.cli.{_available()[args.command]}")
    return run_main(lambda: module.run(args), prog=f"cstk {args.command}")


if __name__ == "__main__":
    sys.exit(main())
