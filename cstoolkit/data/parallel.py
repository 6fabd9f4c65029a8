"""Parallel map over processes with a progress bar (concurrent.futures + tqdm), order preserved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Sequence[T], num_jobs: int, desc: str, chunksize: int = 0) -> list[R]:
    """``[fn(x) for x in items]`` on ``num_jobs`` processes (in-process when 1), with a tqdm bar on stderr."""
    if num_jobs <= 1 or len(items) <= 1:
        return [fn(item) for item in tqdm(items, desc=desc, unit="utt", leave=False, mininterval=1.0)]
    chunk = chunksize or max(1, min(32, len(items) // (num_jobs * 8)))
    with ProcessPoolExecutor(max_workers=num_jobs) as pool:
        return list(
            tqdm(
                pool.map(fn, items, chunksize=chunk),
                total=len(items),
                desc=desc,
                unit="utt",
                leave=False,
                mininterval=1.0,
            )
        )
