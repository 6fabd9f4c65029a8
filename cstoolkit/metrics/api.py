"""The jiwer-like Python entry points: ``from cstoolkit import saer`` and ``cstoolkit.metrics.compare``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from cstoolkit.errors import ConfigError
from cstoolkit.metrics.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, add_intervals, check_settings
from cstoolkit.metrics.comparison import DEFAULT_TEST, SYSTEMS, ComparisonResult, compare_results
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
    bootstrap: int | None = None,
    seed: int = DEFAULT_SEED,
    ci_level: float = DEFAULT_LEVEL,
    verbalize: bool = False,
) -> SAERResult:
    """Semantic-Aware Error Rate of hypothesis against reference (one string each, or equal-length lists).

    lam: weight of the form error (1 = pure mixed error rate, the model is never loaded).
    model: packaged name ("use-multilingual", "e5-small-nano", "all-MiniLM-L6-v2"), a cached sentence-transformers id,
    a local directory, or a ready backend object. units: "mixed" | "word" | "char"; char_scripts e.g. "+Hangul".
    normalize: True (all steps), False (none) or NormalizeOptions. cache: sqlite file for embeddings.
    jobs: worker processes embedding a large corpus side by side when ``model`` is a name (the number does not
    change; scripts need the ``if __name__ == "__main__":`` guard).
    bootstrap: resamples of a percentile bootstrap over utterances (e.g. 1000): ``r.ci["saer"]``,
    ``r.per_tag[tag].ci``, ``r.per_script_ci`` hold ``ci_level`` intervals; ``seed`` makes them reproducible.
    verbalize: numbers, dates, amounts and acronyms written out on both sides first, in each utterance's language
    pair (``tags``, else its scripts): "3 meetings" and "three meetings" agree (recorded in the signature).

    >>> saer("我今天去 shopping mall", "我今天去 shopping mall", lam=1).saer
    0.0
    """
    if bootstrap is not None:
        check_settings(bootstrap, seed, ci_level)  # before any scoring
    refs, hyps, ids, config, backend = _prepare(
        reference, hypothesis, lam, model, units, char_scripts, normalize, ids, semantic_weighting, verbalize
    )
    embedding_cache = EmbeddingCache(cache) if cache is not None else None
    try:
        result = compute_saer(refs, hyps, ids, config, tags, segments, backend, embedding_cache, progress, jobs)
    finally:
        if embedding_cache is not None:
            embedding_cache.close()
    return add_intervals(result, bootstrap, seed, ci_level) if bootstrap is not None else result


def compare(
    reference: str | Sequence[str],
    hypothesis_a: str | Sequence[str],
    hypothesis_b: str | Sequence[str],
    lam: float = 0.5,
    model: str | SemanticBackend = DEFAULT_MODEL,
    units: str = "mixed",
    char_scripts: str | None = None,
    normalize: bool | NormalizeOptions = True,
    ids: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    semantic_weighting: str = "mean",
    cache: str | Path | None = None,
    progress: bool | None = None,
    jobs: int = 1,
    bootstrap: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    ci_level: float = DEFAULT_LEVEL,
    test: str = DEFAULT_TEST,
    names: tuple[str, str] = SYSTEMS,
) -> ComparisonResult:
    """Compare system B with system A on the same references: B - A of SAER, form error, E_sem (and per tag) with
    paired-bootstrap intervals and two-sided p-values (``test``: "bootstrap" or "ar", approximate randomization;
    see :mod:`cstoolkit.metrics.comparison`). Scoring options as for :func:`saer`; ``bootstrap`` resamples (and
    randomization trials), ``ci_level`` the coverage and 1 - the significance threshold.

    >>> r = compare(["a b c", "d e"], ["a b c", "d x"], ["a b c", "d e"], lam=1)
    >>> r.better, round(r.differences["saer"].delta, 2)
    ('B', -0.2)
    """
    check_settings(bootstrap, seed, ci_level)
    for name, hypothesis in zip(SYSTEMS, (hypothesis_a, hypothesis_b)):
        if isinstance(reference, str) != isinstance(hypothesis, str):
            raise ConfigError(f"reference and hypothesis {name} must both be strings or both be lists")
        if not isinstance(reference, str) and len(reference) != len(hypothesis):
            raise ConfigError(f"{len(reference)} references but {len(hypothesis)} hypotheses of system {name}")
    scored = [
        saer(
            reference,
            hypothesis,
            lam,
            model,
            units,
            char_scripts,
            normalize,
            ids,
            tags,
            None,
            semantic_weighting,
            cache,
            progress,
            jobs,
        )
        for hypothesis in (hypothesis_a, hypothesis_b)
    ]
    return compare_results(scored[0], scored[1], bootstrap, seed, ci_level, test, names)


def _prepare(
    reference: str | Sequence[str],
    hypothesis: str | Sequence[str],
    lam: float,
    model: str | SemanticBackend,
    units: str,
    char_scripts: str | None,
    normalize: bool | NormalizeOptions,
    ids: Sequence[str] | None,
    semantic_weighting: str,
    verbalize: bool = False,
) -> tuple[list[str], list[str], list[str] | None, SAERConfig, SemanticBackend | None]:
    """Check the arguments of :func:`saer` -> (refs, hyps, ids, config, backend object or None)."""
    refs = [reference] if isinstance(reference, str) else list(reference)
    hyps = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
    if isinstance(reference, str) != isinstance(hypothesis, str):
        raise ConfigError("reference and hypothesis must both be strings or both be lists")
    for side, texts in (("reference", refs), ("hypothesis", hyps)):
        bad = next((i for i, text in enumerate(texts) if not isinstance(text, str)), None)
        if bad is not None:
            raise ConfigError(f"{side} {bad} is a {type(texts[bad]).__name__}, expected a string")
    id_list = None
    if ids is not None:
        id_list = [str(i) for i in ids]  # compute_saer checks that there is one per utterance
        repeated = [uttid for uttid, count in Counter(id_list).items() if count > 1]
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
        verbalize=verbalize,
    )
    return refs, hyps, id_list, config, backend
