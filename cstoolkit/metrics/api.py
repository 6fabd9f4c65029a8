"""The jiwer-like Python entry point: ``from cstoolkit import saer``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from cstoolkit.errors import ConfigError
from cstoolkit.metrics.embedding_cache import EmbeddingCache
from cstoolkit.metrics.saer import SAERConfig, SAERResult, compute_saer
from cstoolkit.metrics.semantic import DEFAULT_MODEL, SemanticBackend
from cstoolkit.text import NormalizeOptions, UnitOptions


def saer(
    reference: str | Sequence[str],
    hypothesis: str | Sequence[str],
    lam: float = 0.5,
    model: str | SemanticBackend = DEFAULT_MODEL,
    units: str = "mixed",
    char_scripts: str | None = None,
    normalize: bool | NormalizeOptions = True,
    ids: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    segments: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    semantic_weighting: str = "mean",
    cache: str | Path | None = None,
    progress: bool | None = None,
    jobs: int = 1,
) -> SAERResult:
    """Semantic-Aware Error Rate of hypothesis against reference (one string each, or equal-length lists).

    lam: weight of the form error (1 = pure mixed error rate, the model is never loaded).
    model: packaged name ("use-multilingual", "e5-small-nano", "all-MiniLM-L6-v2"), a cached sentence-transformers id,
    a local directory, or a ready backend object. units: "mixed" | "word" | "char"; char_scripts e.g. "+Hangul".
    normalize: True (all steps), False (none) or NormalizeOptions. cache: sqlite file for embeddings.
    jobs: worker processes embedding a large corpus side by side when ``model`` is a name (the number does not
    change; scripts need the ``if __name__ == "__main__":`` guard).

    >>> saer("我今天去 shopping mall", "我今天去 shopping mall", lam=1).saer
    0.0
    """
    refs = [reference] if isinstance(reference, str) else list(reference)
    hyps = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
    if isinstance(reference, str) != isinstance(hypothesis, str):
        raise ConfigError("reference and hypothesis must both be strings or both be lists")
    for side, texts in (("reference", refs), ("hypothesis", hyps)):
        bad = next((i for i, text in enumerate(texts) if not isinstance(text, str)), None)
        if bad is not None:
            raise ConfigError(f"{side} {bad} is a {type(texts[bad]).__name__}, expected a string")
    if ids is not None:
        ids = [str(i) for i in ids]  # compute_saer checks that there is one per utterance
        repeated = [uttid for uttid, count in Counter(ids).items() if count > 1]
        if repeated:
            raise ConfigError(f"duplicate id {repeated[0]!r} in ids")
    if isinstance(normalize, bool):
        normalize = NormalizeOptions() if normalize else NormalizeOptions.none()
    backend = model if not isinstance(model, str) else None
    config = SAERConfig(
        lam=lam,
        model=model if isinstance(model, str) else backend.signature,  # type: ignore[union-attr]
        units=UnitOptions.from_spec(units, char_scripts),
        normalize=normalize,
        semantic_weighting=semantic_weighting,
    )
    embedding_cache = EmbeddingCache(cache) if cache is not None else None
    try:
        return compute_saer(refs, hyps, ids, config, tags, segments, backend, embedding_cache, progress, jobs)
    finally:
        if embedding_cache is not None:
            embedding_cache.close()
