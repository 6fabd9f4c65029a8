"""Worker processes: a pool whose workers die with their parent, and a parallel map with a progress bar."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from cstoolkit.progress import progress_bar

T = TypeVar("T")
R = TypeVar("R")


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux, have the kernel send this process SIGTERM when its parent dies, so a run killed with SIGKILL leaves
    no orphaned workers blocked on a pipe."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_worker(initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]) -> None:
    _die_with_parent()
    if initializer is not None:
        initializer(*initargs)


def worker_pool(
    num_jobs: int,
    mp_context: BaseContext | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor whose workers end when this process ends, however it ends."""
    return ProcessPoolExecutor(num_jobs, mp_context=mp_context, initializer=_start_worker,
                               initargs=(initializer, initargs))  # fmt: skip


def parallel_map(fn: Callable[[T], R], items: Sequence[T], num_jobs: int, desc: str, chunksize: int = 0) -> list[R]:
    """``[fn(x) for x in items]`` on ``num_jobs`` processes (in-process when 1), with progress on stderr
    (a bar on a terminal, lines in a log file)."""
    if num_jobs <= 1 or len(items) <= 1:
        return [fn(item) for item in progress_bar(items, desc=desc, unit="utt", leave=False, mininterval=1.0)]
    chunk = chunksize or max(1, min(32, len(items) // (num_jobs * 8)))
    with worker_pool(num_jobs) as pool:
        return list(
            progress_bar(
                pool.map(fn, items, chunksize=chunk),
                total=len(items),
                desc=desc,
                unit="utt",
                leave=False,
                mininterval=1.0,
            )
        )
