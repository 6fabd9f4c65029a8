"""Typed errors for user mistakes. CLIs turn them into one line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path


class CstkError(Exception):
    """Base class for errors caused by user input (bad files, unknown models, bad options)."""

    exit_code = 2


class InputFileError(CstkError):
    """A problem with an input file, optionally at a 1-based line number."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ModelNotAvailableError(CstkError):
    """A model was asked for that cannot be loaded offline."""


class ConfigError(CstkError, ValueError):
    """An invalid option, argument or configuration value."""
