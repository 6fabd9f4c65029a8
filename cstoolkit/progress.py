"""Progress of long jobs: a tqdm bar on a terminal, a plain line every few seconds when stderr goes to a file.

A bar redrawn with carriage returns turns a log file (``run.sh > run.log 2>&1``, a cluster job) into kilobyte-long
"lines" that nobody can read or grep. So :func:`progress_bar` gives tqdm's bar only when stderr is a terminal, and
otherwise a :class:`LineProgress`: the same counting API, printing ``desc: n/total (pct) [elapsed<eta, rate]`` as a
whole line every ``CSTK_PROGRESS_INTERVAL`` seconds (default 30) and once at the end. tqdm formats the line (its
``format_meter``); only the when-to-print logic is ours, because tqdm has no line-per-update mode.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import IO, Any

from tqdm import tqdm

#: Environment variable: seconds between progress lines when stderr is not a terminal.
INTERVAL_ENV = "CSTK_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_S = 30.0
LINE_FORMAT = "{desc}: {n_fmt}/{total_fmt} ({percentage:.0f}%) [{elapsed}<{remaining}, {rate_fmt}]"
LINE_FORMAT_NO_TOTAL = "{desc}: {n_fmt} [{elapsed}, {rate_fmt}]"


def line_interval() -> float:
    """Seconds between progress lines (``CSTK_PROGRESS_INTERVAL``; a bad value falls back to the default)."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_S))
    except ValueError:
        return DEFAULT_INTERVAL_S
    return value if value >= 0 else DEFAULT_INTERVAL_S


def on_terminal(stream: IO[str] | None = None) -> bool:
    """True when ``stream`` (default stderr) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class LineProgress:
    """A tqdm-like counter that prints whole lines: one every ``interval`` seconds, and a last one on close.

    Supports what the toolkit uses of tqdm: iteration, ``update``, ``set_postfix_str``, ``close`` and the context
    manager. ``disable=True`` prints nothing.
    """

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        disable: bool = False,
        interval: float | None = None,
        file: IO[str] | None = None,
        **_: Any,
    ) -> None:
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.iterable = iterable
        self.total = total
        self.desc = desc
        self.unit = unit
        self.disable = disable
        self.interval = line_interval() if interval is None else interval
        self.file = file
        self.n = 0
        self.postfix = ""
        self.start = time.monotonic()
        self._last_line = self.start
        self._closed = False

    def __iter__(self) -> Iterator[Any]:
        assert self.iterable is not None, "LineProgress made without an iterable"
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __len__(self) -> int:
        return self.total or 0

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items; print a line when ``interval`` seconds have passed since the last one."""
        self.n += n
        now = time.monotonic()
        if not self.disable and now - self._last_line >= self.interval:
            self._last_line = now
            self._print(now)

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        """Text appended to the next lines (e.g. a running loss)."""
        self.postfix = text

    def format_line(self, now: float | None = None) -> str:
        """The progress line for the current count."""
        elapsed = (time.monotonic() if now is None else now) - self.start
        line = tqdm.format_meter(
            self.n,
            self.total,
            elapsed,
            prefix=self.desc,
            unit=self.unit,
            bar_format=LINE_FORMAT if self.total else LINE_FORMAT_NO_TOTAL,
        )
        return f"{line} {self.postfix}" if self.postfix else line

    def _print(self, now: float | None = None) -> None:
        stream = self.file or sys.stderr
        stream.write(self.format_line(now) + "\n")
        stream.flush()

    def close(self) -> None:
        """Print the final line once (nothing when disabled or when nothing was counted)."""
        if self._closed:
            return
        self._closed = True
        if not self.disable and self.n:
            self._print()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._closed = True  # an error message follows; no "done" line before it


def progress_bar(iterable: Iterable[Any] | None = None, **kwargs: Any) -> tqdm | LineProgress:
    """A tqdm bar on stderr when it is a terminal, else a :class:`LineProgress` (same arguments: ``total``,
    ``desc``, ``unit``, ``disable``, ``leave``, ``mininterval`` ...; tqdm-only ones are ignored by the line form)."""
    if on_terminal(kwargs.get("file")):
        return tqdm(iterable, **kwargs)
    return LineProgress(iterable, **kwargs)


def progress_write(message: str) -> None:
    """Print a message line to stderr without breaking a bar that is being drawn (tqdm.write on a terminal)."""
    if on_terminal():
        tqdm.write(message, file=sys.stderr)
    else:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
