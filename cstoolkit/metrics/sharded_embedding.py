"""Embed many texts on several CPU cores: each worker process holds its own single-threaded copy of the model.

The packaged models are compute-bound on a CPU (batching gains them less than 2x), so the remaining speed-up for a
large corpus is to run shards of it side by side. The vectors are the same as one process gives (up to float
rounding), so the SAER signature does not change.

Workers are started with ``spawn`` (safe after torch or OpenMP have started threads): a script that scores with
``jobs > 1`` needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

import numpy as np

from cstoolkit.errors import CstkError
from cstoolkit.metrics.semantic import SemanticBackend, load_backend

#: Below this many texts one call is embedded in this process: starting workers would cost more than it saves.
MIN_PARALLEL_TEXTS = 512

_worker_backend: SemanticBackend | None = None


def _start_worker(name: str) -> None:
    """Worker initialiser: one BLAS/OpenMP/torch thread, then load the model once (some load lazily: warm it up)."""
    global _worker_backend
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _worker_backend = load_backend(name, threads=1)
    _worker_backend.embed(["warm up"])


def _embed_shard(texts: list[str]) -> np.ndarray:
    """(n,) texts -> (n, d) unit rows, in a worker."""
    assert _worker_backend is not None, "worker started without a model"
    return _worker_backend.embed(texts)


class ShardedBackend:
    """A :class:`SemanticBackend` that splits each large ``embed`` call over ``jobs`` worker processes.

    The model is also loaded here (it names the signature, fails fast with a clear message for an unknown model, and
    embeds calls too small to share). Workers start on the first large call and stop at :meth:`close`.
    """

    def __init__(self, name: str, jobs: int, min_parallel: int = MIN_PARALLEL_TEXTS) -> None:
        if jobs < 1:
            raise CstkError(f"jobs must be at least 1, got {jobs}")
        self.name = name
        self.jobs = jobs
        self.min_parallel = min_parallel
        self._local = load_backend(name)
        self.signature = self._local.signature
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers now (they load the model in the background); ``embed`` starts them when needed."""
        if self._pool is None and self.jobs > 1:
            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                initargs=(self.name,),
            )  # fmt: skip
            for _ in range(self.jobs):  # a process pool spawns workers on demand: have every one load now
                self._pool.submit(_embed_shard, [])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) strings -> (n, d) float32 unit rows; large calls are split into ``jobs`` equal shards."""
        texts = list(texts)
        if self.jobs == 1 or len(texts) < self.min_parallel:
            return self._local.embed(texts)
        size = math.ceil(len(texts) / self.jobs)
        shards = [texts[start : start + size] for start in range(0, len(texts), size)]
        self.start()
        assert self._pool is not None
        try:
            return np.concatenate(list(self._pool.map(_embed_shard, shards)), axis=0)
        except BrokenProcessPool:
            self.close()
            raise CstkError(
                f"an embedding worker for {self.name!r} died (out of memory?); score again with fewer jobs"
            ) from None

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ShardedBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
