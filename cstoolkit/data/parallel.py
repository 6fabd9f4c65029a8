"""A parallel map with a progress bar, on worker processes that die with their parent (:mod:`cstoolkit.core.shards`,
where ``worker_pool`` lives; imported from here too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from cstoolkit.core.shards import worker_pool
from cstoolkit.progress import progress_bar

__all__ = ["parallel_map", "worker_pool"]

T = TypeVar("T")
R = TypeVar("R")


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
