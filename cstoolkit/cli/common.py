"""Shared CLI plumbing: turn user errors into one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import logging
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
    except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
        print(f"{prog}: error: {err.filename or ''}: {err.strerror}", file=sys.stderr)
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
