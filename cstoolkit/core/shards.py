"""Worker processes: a pool whose workers die with their parent, and a sharded run over data directories.

:func:`run_shards` runs ``fn(*args, job, nj, device)`` for every job of ``nj``: in this process when ``nj <= 1``,
else in ``nj`` spawned processes (safe after torch or CUDA have started threads; a calling script needs the usual
``if __name__ == "__main__":`` guard). Each job gets its own device (:func:`cstoolkit.core.runtime.shard_device`:
the visible GPUs in turn) and its thread count set first (:func:`cstoolkit.core.runtime.set_torch_threads`). A job
typically loads a model once and takes every ``nj``-th utterance of each data directory; :func:`merge_shards`
combines its per-directory results.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any

from cstoolkit.core.runtime import set_torch_threads, shard_device
from cstoolkit.errors import CstkError

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
    return ProcessPoolExecutor(
        num_jobs, mp_context=mp_context, initializer=_start_worker, initargs=(initializer, initargs)
    )


def _run_job(fn: Callable[..., Any], args: tuple[Any, ...], job: int, nj: int, device: str, threads: int | None):
    set_torch_threads(threads)
    return fn(*args, job, nj, device)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the running workers (as ``multiprocessing.Pool.terminate``)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            process.terminate()


def run_shards(
    fn: Callable[..., Any], args: Sequence[Any], nj: int = 1, device: str = "auto", threads: int | None = None
) -> list[Any]:
    """``[fn(*args, job, nj, device_of_job) for job in range(nj)]``, the jobs side by side (see the module
    docstring); ``fn`` must be a module-level function. Workers run ``threads`` torch threads each (default 1);
    in this process ``threads`` None keeps torch's default. The first error of a job ends the others and is raised
    here."""
    args = tuple(args)
    if nj <= 1:
        return [_run_job(fn, args, 0, 1, device, threads)]
    spawn = multiprocessing.get_context("spawn")
    pool = worker_pool(nj, mp_context=spawn)
    try:
        futures = [pool.submit(_run_job, fn, args, j, nj, shard_device(device, j), threads or 1) for j in range(nj)]
        for future in wait(futures, return_when=FIRST_EXCEPTION).done:
            future.result()  # raises the error of a failed job without waiting for the others
        results = [future.result() for future in futures]
    except BrokenProcessPool:
        _stop(pool)
        raise CstkError(f"a worker process of {fn.__name__} died (out of memory?); run again with fewer jobs") from None
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()
    return results


def merge_shards(parts: Sequence[Sequence[Sequence[Any]]]) -> list[tuple[Any, ...]]:
    """Combine the results of the jobs of :func:`run_shards` when each job returns, per data directory, a tuple of
    fields: per directory one tuple, whose dict fields are merged in job order and whose number fields are summed."""
    merged = []
    for per_dir in zip(*parts, strict=True):
        fields: list[Any] = []
        for values in zip(*per_dir, strict=True):
            if isinstance(values[0], dict):
                combined: dict[Any, Any] = {}
                for value in values:
                    combined.update(value)
                fields.append(combined)
            else:
                fields.append(sum(values))
        merged.append(tuple(fields))
    return merged
