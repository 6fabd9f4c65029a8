"""SAER's semantic distance E_sem = 1 - max(0, cos(e(r), e(h))) for many pairs, embedding each text once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cstoolkit.metrics.embedding_cache import EmbeddingCache
from cstoolkit.metrics.semantic import SemanticBackend, chunked, embed_chunks
from cstoolkit.progress import progress_bar


def needs_model(ref: str, hyp: str) -> bool:
    """False when E_sem is fixed without a model: equal texts (0) or exactly one empty side (1)."""
    return ref != hyp and bool(ref) and bool(hyp)


def trivial_distance(ref: str, hyp: str) -> float:
    """E_sem for a pair that :func:`needs_model` rejects."""
    return 0.0 if ref == hyp else 1.0


def embed_distinct(
    texts: Sequence[str],
    backend: SemanticBackend,
    cache: EmbeddingCache | None = None,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Embed each distinct text once (cache first, then the model in chunks) -> text -> unit vector."""
    distinct = list(dict.fromkeys(texts))
    vectors = cache.get_many(backend.signature, distinct) if cache is not None else {}
    todo = [t for t in distinct if t not in vectors]
    bar = progress_bar(total=len(todo), desc="embedding", unit="text", disable=not progress, leave=False)
    chunks = chunked(todo)
    for chunk, embedded in zip(chunks, embed_chunks(backend, chunks)):
        if cache is not None:
            cache.put_many(backend.signature, chunk, embedded)
        vectors.update(zip(chunk, embedded))
        bar.update(len(chunk))
    bar.close()
    return vectors


def semantic_distances(
    refs: Sequence[str],
    hyps: Sequence[str],
    backend: SemanticBackend,
    cache: EmbeddingCache | None = None,
    progress: bool = False,
) -> list[float]:
    """E_sem for each (normalised) pair; the model runs only for pairs that need it, once per distinct text."""
    todo = [i for i, (r, h) in enumerate(zip(refs, hyps)) if needs_model(r, h)]
    distances = [trivial_distance(r, h) for r, h in zip(refs, hyps)]
    if not todo:
        return distances
    vectors = embed_distinct([t for i in todo for t in (refs[i], hyps[i])], backend, cache, progress)
    ref_matrix = np.stack([vectors[refs[i]] for i in todo])
    hyp_matrix = np.stack([vectors[hyps[i]] for i in todo])
    cosines = np.einsum("nd,nd->n", ref_matrix, hyp_matrix)
    for i, cosine in zip(todo, cosines):
        distances[i] = float(1.0 - max(0.0, min(1.0, float(cosine))))
    return distances
