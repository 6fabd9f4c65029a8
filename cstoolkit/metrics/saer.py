"""SAER per utterance and per corpus, with signature and per-script / per-tag / per-word-language breakdowns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cstoolkit
from cstoolkit.errors import ConfigError
from cstoolkit.metrics.align import Alignment, EditCounts, align
from cstoolkit.metrics.bootstrap import ERROR_RATE, Interval, format_level, intervals_to_dict
from cstoolkit.metrics.embedding_cache import EmbeddingCache
from cstoolkit.metrics.semantic import DEFAULT_MODEL, EMBED_CHUNK, SemanticBackend, load_backend
from cstoolkit.metrics.semantic_distance import needs_model, semantic_distances
from cstoolkit.metrics.sharded_embedding import ShardedBackend
from cstoolkit.progress import progress_bar
from cstoolkit.text import NormalizeOptions, UnitOptions, normalize, split_units

#: What SAER promises across machines: the form error and edit counts are exact; E_sem and SAER (float32 vectors,
#: summed in an order that depends on the CPU's BLAS kernel and thread count) agree within this absolute tolerance
#: on any x86-64 CPU, any thread count and any ``jobs``. On one machine with one setting the number is the same on
#: every run. The summary prints 4 decimals.
SAER_TOLERANCE = 1e-6

#: Show progress for corpora at least this large (a bar on a terminal, periodic lines in a log file).
PROGRESS_MIN_UTTERANCES = 2000
UNTAGGED = "<none>"
#: The corpus and group figures, as the summaries name them.
FIGURE_LABELS = {"saer": "SAER", "form_error": "form error", "semantic_error": "semantic error"}


@dataclass(frozen=True)
class SAERConfig:
    """Everything that changes the SAER number (and therefore appears in its signature)."""

    lam: float = 0.5
    model: str = DEFAULT_MODEL
    units: UnitOptions = field(default_factory=UnitOptions)
    normalize: NormalizeOptions = field(default_factory=NormalizeOptions)
    semantic_weighting: str = "mean"  # "mean" over utterances or "length" (weighted by reference units)
    #: numbers and acronyms written out on both sides before scoring (cstoolkit.text.verbalize), "3" == "three"
    verbalize: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.lam <= 1.0:
            raise ConfigError(f"lambda must be in [0, 1], got {self.lam}")
        if self.semantic_weighting not in ("mean", "length"):
            raise ConfigError(f"semantic weighting must be 'mean' or 'length', got {self.semantic_weighting!r}")

    @property
    def uses_model(self) -> bool:
        """The semantic model matters only when lam < 1."""
        return self.lam < 1.0

    def signature(self, backend: SemanticBackend | None) -> str:
        """sacreBLEU-style signature naming every setting that changes the score."""
        model = backend.signature if backend is not None else "none"
        esem = f"|esem:{self.semantic_weighting}" if backend is not None else ""
        norm = self.normalize.signature + ("+verbalize" if self.verbalize else "")
        return (
            f"saer|lam:{self.lam:g}|units:{self.units.signature}|norm:{norm}"
            f"|model:{model}{esem}|version:{cstoolkit.__version__}"
        )


class _BlendedScore:
    """SAER from edit counts and a semantic error; shared by utterance and group scores."""

    counts: EditCounts
    semantic_error: float | None
    lam: float

    @property
    def form_error(self) -> float:
        """(S + D + I) / N."""
        return self.counts.error_rate

    @property
    def saer(self) -> float:
        """lam * form + (1 - lam) * semantic; the form error alone when no model ran (lam = 1)."""
        if self.semantic_error is None:
            return self.form_error
        return self.lam * self.form_error + (1.0 - self.lam) * self.semantic_error

    def score_fields(self) -> dict[str, Any]:
        """The keys every level of the JSON document shares."""
        return {
            "saer": self.saer,
            "form_error": self.form_error,
            "semantic_error": self.semantic_error,
            "substitutions": self.counts.substitutions,
            "deletions": self.counts.deletions,
            "insertions": self.counts.insertions,
            "ref_units": self.counts.ref_units,
        }


@dataclass
class UtteranceScore(_BlendedScore):
    """Scores of one utterance. ``form_error`` is not clipped: insertions can push it past 1."""

    id: str
    reference: str
    hypothesis: str
    alignment: Alignment
    semantic_error: float | None
    lam: float
    tag: str | None = None
    #: S/D/I/N per Unicode script of this utterance (kept so that a bootstrap can re-pool them)
    scripts: dict[str, EditCounts] = field(default_factory=dict)

    @property
    def counts(self) -> EditCounts:  # type: ignore[override]
        return self.alignment.counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: id, the same keys as the corpus result, and the normalised texts."""
        out = {"id": self.id, **self.score_fields(), "reference": self.reference, "hypothesis": self.hypothesis}
        if self.tag is not None:
            out["tag"] = self.tag
        return out


@dataclass
class GroupScore(_BlendedScore):
    """Pooled scores of a group of utterances (the corpus, or one tag); ``ci``: figure name -> bootstrap interval
    (empty unless intervals were asked for)."""

    counts: EditCounts
    semantic_error: float | None
    lam: float
    utterances: int
    ci: dict[str, Interval] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {**self.score_fields(), "utterances": self.utterances}
        if self.ci:
            out["ci"] = intervals_to_dict(self.ci)
        return out

    def format_figures(self) -> str:
        """``SAER 0.0612 [0.0480, 0.0760]  form error ...  semantic error ...`` (intervals when there are any)."""
        parts = []
        for name, label in FIGURE_LABELS.items():
            value = getattr(self, name)
            text = "n/a (lambda=1)" if value is None else f"{value:.4f}"
            interval = self.ci.get(name)
            parts.append(f"{label} {text}" + (f" {interval.format()}" if interval is not None else ""))
        return "  ".join(parts)


@dataclass
class SAERResult:
    """Corpus-level SAER with its parts, breakdowns and per-utterance scores.

    With bootstrap intervals (``saer(..., bootstrap=N)``, :func:`cstoolkit.metrics.bootstrap.add_intervals`):
    ``ci`` (the corpus's, figure name -> :class:`Interval`), ``per_tag[tag].ci`` and ``per_script_ci[script]``
    (the script's error rate).
    """

    corpus: GroupScore
    signature: str
    per_utterance: list[UtteranceScore]
    per_script: dict[str, EditCounts]
    per_tag: dict[str, GroupScore]
    per_word_language: dict[str, EditCounts]
    config: SAERConfig = field(default_factory=SAERConfig)
    per_script_ci: dict[str, Interval] = field(default_factory=dict)

    saer = property(lambda self: self.corpus.saer)
    form_error = property(lambda self: self.corpus.form_error)
    semantic_error = property(lambda self: self.corpus.semantic_error)
    substitutions = property(lambda self: self.corpus.counts.substitutions)
    deletions = property(lambda self: self.corpus.counts.deletions)
    insertions = property(lambda self: self.corpus.counts.insertions)
    ref_units = property(lambda self: self.corpus.counts.ref_units)
    utterances = property(lambda self: self.corpus.utterances)
    ci = property(lambda self: self.corpus.ci)

    def to_dict(self, per_utterance: bool = True) -> dict[str, Any]:
        """The ``saer --json`` document."""
        out = self.corpus.to_dict()
        out["signature"] = self.signature
        out["per_script"] = {name: counts.to_dict() for name, counts in sorted(self.per_script.items())}
        for name, interval in self.per_script_ci.items():
            out["per_script"][name]["ci"] = intervals_to_dict({ERROR_RATE: interval})
        if self.per_tag:
            out["per_tag"] = {tag: group.to_dict() for tag, group in sorted(self.per_tag.items())}
        if self.per_word_language:
            out["per_word_language"] = {k: v.to_dict() for k, v in sorted(self.per_word_language.items())}
        if per_utterance:
            out["per_utterance"] = [utt.to_dict() for utt in self.per_utterance]
        return out

    def summary(self) -> str:
        """Short human-readable summary with the signature."""
        c = self.corpus
        lines = [
            c.format_figures(),
            f"S={c.counts.substitutions} D={c.counts.deletions} I={c.counts.insertions} "
            f"N={c.counts.ref_units} utterances={c.utterances}",
        ]
        if c.ci:
            first = next(iter(c.ci.values()))
            lines.append(
                f"{format_level(first.level)} intervals: percentile bootstrap over utterances, "
                f"{first.resamples} resamples, seed {first.seed}"
            )
        lines.append(self.signature)
        return "\n".join(lines)


def group_score(scores: Sequence[UtteranceScore], config: SAERConfig) -> GroupScore:
    """Pooled scores of a group of utterances: summed edit counts, E_sem averaged (or length-weighted)."""
    counts = EditCounts()
    for utt in scores:
        counts.add(utt.counts)
    semantic = None
    if config.uses_model and scores:
        values = [u.semantic_error or 0.0 for u in scores]
        weights = [u.counts.ref_units for u in scores] if config.semantic_weighting == "length" else [1] * len(values)
        total = sum(weights)
        semantic = sum(v * w for v, w in zip(values, weights)) / total if total else sum(values) / len(values)
    return GroupScore(counts, semantic, config.lam, len(scores))


def _merge(into: dict[str, EditCounts], part: Mapping[str, EditCounts]) -> None:
    for name, counts in part.items():
        into.setdefault(name, EditCounts()).add(counts)


def _word_language_labels(
    segments: Sequence[tuple[str, str]], ref_units: Sequence[str], config: SAERConfig
) -> list[str] | None:
    """Language of each reference unit from the utterance's segments; None if the segments don't split cleanly."""
    labels: list[str] = []
    for lang, text in segments:
        labels.extend([lang] * len(split_units(normalize(text, config.normalize), config.units)))
    return labels if len(labels) == len(ref_units) else None


def _verbalized(texts: Sequence[str], ids: Sequence[str], tags: Mapping[str, str] | None) -> list[str]:
    """Texts with numbers and acronyms written out, each in the language pair of its tag (utt2lang, e.g. zh-en;
    without one: from its scripts)."""
    from cstoolkit.text.verbalize import normalize_text

    return [normalize_text(t, (tags or {}).get(u)).text for t, u in zip(texts, ids)]


def _texts_to_embed(refs: Sequence[str], hyps: Sequence[str]) -> int:
    """How many distinct texts the model has to embed for these (normalised) pairs."""
    return len({text for pair in zip(refs, hyps) if needs_model(*pair) for text in pair})


def compute_saer(
    refs: Sequence[str],
    hyps: Sequence[str],
    ids: Sequence[str] | None = None,
    config: SAERConfig = SAERConfig(),
    tags: Mapping[str, str] | None = None,
    segments: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    backend: SemanticBackend | None = None,
    cache: EmbeddingCache | None = None,
    progress: bool | None = None,
    jobs: int = 1,
) -> SAERResult:
    """Score a corpus of raw reference/hypothesis strings.

    tags: utterance id -> tag (language pair) for per-tag scores. segments: utterance id -> [(lang, text)] word-level
    language segments of the reference for per-word-language counts. backend: overrides ``config.model``.
    progress: None shows bars on a terminal for large corpora. jobs: worker processes that embed shards of a large
    corpus side by side (``config.model`` only; the numbers do not change).
    """
    if len(refs) != len(hyps):
        raise ConfigError(f"{len(refs)} references but {len(hyps)} hypotheses")
    if not refs:
        raise ConfigError("empty corpus: nothing to score")
    ids = [str(i + 1) for i in range(len(refs))] if ids is None else list(ids)
    if len(ids) != len(refs):
        raise ConfigError(f"{len(ids)} ids for {len(refs)} utterances")
    if jobs < 1:
        raise ConfigError(f"jobs must be at least 1, got {jobs}")
    if progress is None:
        progress = len(refs) >= PROGRESS_MIN_UTTERANCES
    workers = ShardedBackend(config.model, jobs) if config.uses_model and backend is None and jobs > 1 else None
    if not config.uses_model:
        backend = None
    elif backend is None:
        backend = workers or load_backend(config.model)
    try:
        if config.verbalize:
            refs, hyps = _verbalized(refs, ids, tags), _verbalized(hyps, ids, tags)
        norm_refs = [normalize(t, config.normalize) for t in refs]
        norm_hyps = [normalize(t, config.normalize) for t in hyps]
        if workers and cache is None and _texts_to_embed(norm_refs, norm_hyps) > EMBED_CHUNK:
            workers.start()  # they load the model while this process aligns
        alignments = [
            align(split_units(ref, config.units), split_units(hyp, config.units))
            for ref, hyp in progress_bar(
                zip(norm_refs, norm_hyps), total=len(refs), desc="aligning", unit="utt", disable=not progress
            )
        ]
        semantic: Sequence[float | None] = [None] * len(refs)
        if backend is not None:
            semantic = semantic_distances(norm_refs, norm_hyps, backend, cache, progress)
    finally:
        if workers is not None:
            workers.close()

    per_utterance: list[UtteranceScore] = []
    per_script: dict[str, EditCounts] = {}
    per_word_language: dict[str, EditCounts] = {}
    for uttid, ref, hyp, alignment, sem in zip(ids, norm_refs, norm_hyps, alignments, semantic):
        tag = tags.get(uttid, UNTAGGED) if tags is not None else None
        scripts = alignment.per_script()
        per_utterance.append(UtteranceScore(uttid, ref, hyp, alignment, sem, config.lam, tag, scripts))
        _merge(per_script, scripts)
        if segments is not None and uttid in segments:
            labels = _word_language_labels(segments[uttid], alignment.ref, config)
            if labels is not None:
                hyp_labels = alignment.hyp_labels_from_ref(labels, default=UNTAGGED)
                _merge(per_word_language, alignment.breakdown(labels, hyp_labels))

    per_tag: dict[str, GroupScore] = {}
    if tags is not None:
        by_tag: dict[str, list[UtteranceScore]] = {}
        for utt in per_utterance:
            by_tag.setdefault(utt.tag or UNTAGGED, []).append(utt)
        per_tag = {tag: group_score(group, config) for tag, group in by_tag.items()}

    return SAERResult(
        corpus=group_score(per_utterance, config),
        signature=config.signature(backend),
        per_utterance=per_utterance,
        per_script=per_script,
        per_tag=per_tag,
        per_word_language=per_word_language,
        config=config,
    )
