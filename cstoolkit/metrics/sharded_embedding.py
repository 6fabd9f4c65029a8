"""Embed many texts on several CPU cores: each worker process holds its own single-threaded copy of the model.

The packaged models are compute-bound on a CPU (batching gains them less than 2x), so the remaining speed-up for a
large corpus is to run its chunks side by side. Each chunk goes to the model in exactly the call one process would
make (a batched model's floats depend on what else is in the batch). Workers run one BLAS thread each while one
process runs several, and some CPU kernels sum in another order with another thread count, so the vectors agree
with one process's within float32 rounding and the SAER number within ``saer.SAER_TOLERANCE`` (1e-6).

Workers are started with ``spawn`` (safe after torch or OpenMP have started threads): a script that scores with
``jobs > 1`` needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

import numpy as np

from cstoolkit.data.parallel import worker_pool
from cstoolkit.errors import CstkError
from cstoolkit.metrics.semantic import SemanticBackend, chunked, load_backend

_worker_backend: SemanticBackend | None = None


def _start_worker(name: str) -> None:
    """Worker initialiser: one BLAS/OpenMP/torch thread, then load the model once (some load lazily: warm it up)."""
    global _worker_backend
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _worker_backend = load_backend(name, threads=1)
    _worker_backend.embed(["warm up"])


def _embed_chunk(texts: list[str]) -> np.ndarray:
    """(n,) texts -> (n, d) unit rows, in a worker."""
    assert _worker_backend is not None, "worker started without a model"
    return _worker_backend.embed(texts)


class ShardedBackend:
    """A :class:`SemanticBackend` that embeds a list of chunks in ``jobs`` worker processes, one chunk per call.

    The model is also loaded here: it names the signature, fails fast with a clear message for an unknown model, and
    embeds when there is a single chunk. Workers start on the first call with several chunks (or :meth:`start`) and
    stop at :meth:`close`.
    """

    def __init__(self, name: str, jobs: int) -> None:
        if jobs < 1:
            raise CstkError(f"jobs must be at least 1, got {jobs}")
        self.name = name
        self.jobs = jobs
        self._local = load_backend(name)
        self.signature = self._local.signature
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers now (they load the model in the background); :meth:`embed_chunks` starts them anyway."""
        if self._pool is None and self.jobs > 1:
            self._pool = worker_pool(
                self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.name,),
            )
            for _ in range(self.jobs):  # a process pool spawns workers on demand: have every one load now
                self._pool.submit(_embed_chunk, [])

    def embed_chunks(self, chunks: Sequence[Sequence[str]]) -> Iterator[np.ndarray]:
        """Yield the (n_i, d) unit rows of each chunk, in order, each chunk embedded by one ``embed`` call."""
        if self.jobs == 1 or len(chunks) < 2:
            yield from map(self._local.embed, chunks)
            return
        self.start()
        assert self._pool is not None
        try:
            yield from self._pool.map(_embed_chunk, [list(chunk) for chunk in chunks])
        except BrokenProcessPool:
            self.close()
            raise CstkError(
                f"an embedding worker for {self.name!r} died (out of memory, or a calling script without the "
                '`if __name__ == "__main__":` guard); score again with fewer jobs'
            ) from None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) strings -> (n, d) float32 unit rows, in chunks of :data:`EMBED_CHUNK` spread over the workers."""
        texts = list(texts)
        if not texts:
            return self._local.embed(texts)
        return np.concatenate(list(self.embed_chunks(chunked(texts))), axis=0)

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
