"""Shared CLI plumbing: turn user errors into one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from cstoolkit.errors import CstkError


def run_main(body: Callable[[], int | None], prog: str) -> int:
    """Run a CLI body; a :class:`CstkError` or an OS error on a file becomes ``prog: message`` and exit code 2."""
    try:
        return body() or 0
    except CstkError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # `saer ... | head`: the reader left; stop quietly, as a killed-by-SIGPIPE tool would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:  # a path the user named: missing, a directory, not writable, a file where a folder should be
        where = f"{err.filename}: " if err.filename else ""
        print(f"{prog}: error: {where}{(err.strerror or str(err)).lower()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def setup_logging(verbose: bool = False) -> None:
    """Log ``time level name: message`` lines to stderr."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value
