"""Embedding chunks in worker processes: the vectors and scores of one process (within the promised tolerance: the
workers run one BLAS thread, this process its default, and the float sums may come out in another order), workers
only when worth it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cstoolkit.errors import CstkError, ModelNotAvailableError
from cstoolkit.metrics.saer import SAER_TOLERANCE, SAERConfig, compute_saer
from cstoolkit.metrics.semantic import chunked, load_backend
from cstoolkit.metrics.sharded_embedding import ShardedBackend

WORDS = ["我", "今天", "去", "shopping", "mall", "买", "东西", "meeting", "明日", "の", "vamos", "al", "trabajo"]


def sentences(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 9)))) for _ in range(count)]


def test_workers_give_the_vectors_of_one_process() -> None:
    texts = sentences(600, seed=0)
    with ShardedBackend("use-multilingual", jobs=2) as sharded:
        vectors = sharded.embed(texts)
        assert sharded._pool is not None  # the call really went to the workers
        assert sharded.signature == load_backend("use-multilingual").signature
    assert sharded._pool is None
    local = load_backend("use-multilingual")
    expected = np.concatenate([local.embed(chunk) for chunk in chunked(texts)])
    assert vectors.shape == expected.shape
    np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-6)


def test_small_calls_stay_in_this_process() -> None:
    with ShardedBackend("use-multilingual", jobs=2) as sharded:
        vectors = sharded.embed(sentences(5, seed=1))
        assert vectors.shape == (5, 512) and sharded._pool is None


def test_compute_saer_with_jobs_scores_the_same() -> None:
    refs = sentences(700, seed=2)
    hyps = [r if i % 4 == 0 else r.replace("mall", "market", 1) + " ok" for i, r in enumerate(refs)]
    config = SAERConfig(lam=0.5, model="use-multilingual")
    serial = compute_saer(refs, hyps, config=config, progress=False)
    parallel = compute_saer(refs, hyps, config=config, progress=False, jobs=2)
    assert parallel.signature == serial.signature
    assert parallel.form_error == serial.form_error  # counts are exact
    assert abs(parallel.saer - serial.saer) <= SAER_TOLERANCE
    np.testing.assert_allclose(
        [u.semantic_error for u in parallel.per_utterance],
        [u.semantic_error for u in serial.per_utterance],
        rtol=0,
        atol=SAER_TOLERANCE,
    )


def test_unknown_model_fails_fast_before_any_worker_starts() -> None:
    start = time.perf_counter()
    with pytest.raises(ModelNotAvailableError, match="not available offline"):
        ShardedBackend("sentence-transformers/LaBSE", jobs=2)
    assert time.perf_counter() - start < 5


def test_jobs_must_be_positive() -> None:
    with pytest.raises(CstkError, match="at least 1"):
        ShardedBackend("use-multilingual", jobs=0)
