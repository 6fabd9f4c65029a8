"""Scoring transcript files: read, pair, score, and write every report into a folder (used by CLIs and recipes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cstoolkit.config import FLAG, check_config, choice, number, whole
from cstoolkit.core.atomic import atomic_write_text
from cstoolkit.data.kaldi_dir import read_segments
from cstoolkit.data.transcripts import (
    TranscriptFormat,
    pair_transcripts,
    read_transcripts,
    read_utt2tag,
)
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.metrics.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, add_intervals, check_settings
from cstoolkit.metrics.comparison import DEFAULT_TEST, ComparisonResult, check_test, compare_results
from cstoolkit.metrics.embedding_cache import EmbeddingCache
from cstoolkit.metrics.plots import plot_breakdown
from cstoolkit.metrics.report import per_utterance_tsv, write_html, write_json
from cstoolkit.metrics.saer import SAERConfig, SAERResult, compute_saer
from cstoolkit.text import NormalizeOptions, UnitOptions


def score_files(
    ref_path: str | Path,
    hyp_path: str | Path,
    config: SAERConfig,
    fmt: TranscriptFormat = "kaldi",
    missing: str = "error",
    utt2lang: str | Path | None = None,
    utt2seg: str | Path | None = None,
    cache: str | Path | None = None,
    progress: bool | None = None,
    jobs: int = 1,
    resampling: Resampling | None = None,
) -> SAERResult:
    """Read REF and HYP transcript files, pair them by id (by line for ``plain``) and score them; with
    ``resampling`` (and ``resampling.resamples`` > 0), add its bootstrap intervals (``result.ci`` ...)."""
    ref = read_transcripts(ref_path, fmt)
    hyp = read_transcripts(hyp_path, fmt)
    ids, refs, hyps = pair_transcripts(ref, hyp, missing=missing, positional=fmt == "plain")  # type: ignore[arg-type]
    if not ids:
        raise InputFileError(ref_path, "no utterances: empty corpus, nothing to score")
    tags = read_utt2tag(utt2lang) if utt2lang else None
    segments = None
    if utt2seg:
        segments = {uttid: [(s["lang"], s["text"]) for s in segs] for uttid, segs in read_segments(utt2seg).items()}
    embedding_cache = EmbeddingCache(cache) if cache else None
    try:
        result = compute_saer(
            refs, hyps, ids, config, tags, segments, cache=embedding_cache, progress=progress, jobs=jobs
        )
    finally:
        if embedding_cache is not None:
            embedding_cache.close()
    if resampling is not None and resampling.enabled:
        add_intervals(result, resampling.resamples, resampling.seed, resampling.level)
    return result


def compare_files(
    ref_path: str | Path,
    hyp_a_path: str | Path,
    hyp_b_path: str | Path,
    config: SAERConfig,
    fmt: TranscriptFormat = "kaldi",
    missing: str = "error",
    utt2lang: str | Path | None = None,
    cache: str | Path | None = None,
    jobs: int = 1,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    test: str = DEFAULT_TEST,
) -> ComparisonResult:
    """Read REF and the hypotheses of systems A and B, check that both cover the reference's ids (the errors of
    :func:`score_files`, naming the file, before anything is scored), score both and compare them."""
    check_settings(resamples, seed, level)
    check_test(test)
    ref = read_transcripts(ref_path, fmt)
    pairs = []
    for hyp_path in (hyp_a_path, hyp_b_path):
        hyp = read_transcripts(hyp_path, fmt)
        pairs.append(pair_transcripts(ref, hyp, missing=missing, positional=fmt == "plain"))  # type: ignore[arg-type]
    if not pairs[0][0]:
        raise InputFileError(ref_path, "no utterances: empty corpus, nothing to score")
    tags = read_utt2tag(utt2lang) if utt2lang else None
    embedding_cache = EmbeddingCache(cache) if cache else None
    try:
        a, b = [
            compute_saer(refs, hyps, ids, config, tags, cache=embedding_cache, jobs=jobs) for ids, refs, hyps in pairs
        ]
    finally:
        if embedding_cache is not None:
            embedding_cache.close()
    return compare_results(a, b, resamples, seed, level, test, names=(str(hyp_a_path), str(hyp_b_path)))


@dataclass(frozen=True)
class Resampling:
    """How the intervals of a scoring path are drawn: ``resamples`` bootstrap resamples (0: no intervals),
    ``seed``, ``level`` (the coverage; 1 - level is the significance threshold of a paired comparison)."""

    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    level: float = DEFAULT_LEVEL

    @property
    def enabled(self) -> bool:
        """Whether intervals (and paired comparisons) are computed."""
        return self.resamples > 0

    def to_dict(self) -> dict[str, Any]:
        """``{resamples, seed, level}``."""
        return {"resamples": self.resamples, "seed": self.seed, "level": self.level}


#: the resampling keys of the ``metric`` group (conf/metric/default.yaml) and their defaults
RESAMPLING_KEYS = {"bootstrap": DEFAULT_RESAMPLES, "seed": DEFAULT_SEED, "ci_level": DEFAULT_LEVEL}
RESAMPLING_RULES = {"bootstrap": whole(0), "seed": whole(0), "ci_level": number(0.0, 1.0, low_open=True)}


def resampling_from_mapping(metric: Mapping[str, Any]) -> Resampling:
    """The :class:`Resampling` of the ``metric`` config group (``bootstrap``, ``seed``, ``ci_level``; a missing key
    takes its default); ConfigError naming the key for a bad value. Call it before any decoding."""
    values = {key: metric.get(key, default) for key, default in RESAMPLING_KEYS.items()}
    check_config(values, RESAMPLING_RULES, "metric")
    if values["ci_level"] >= 1.0:
        raise ConfigError(
            f"bad configuration value metric.ci_level={values['ci_level']!r}: expected a number > 0 and < 1"
        )
    return Resampling(values["bootstrap"], values["seed"], float(values["ci_level"]))


#: the other keys of the ``metric`` group, checked where they are read
METRIC_RULES = {
    "lam": number(0.0, 1.0),
    "units": choice("mixed", "word", "char"),
    "normalize": FLAG,
    "semantic_weighting": choice("mean", "length"),
    "jobs": whole(1),
}


def config_from_mapping(metric: Mapping[str, Any]) -> SAERConfig:
    """SAERConfig from the ``metric`` config group (conf/metric/*.yaml); ConfigError naming the key for a bad
    value."""
    check_config(metric, {k: rule for k, rule in METRIC_RULES.items() if k in metric}, "metric")
    return SAERConfig(
        lam=float(metric.get("lam", 0.5)),
        model=str(metric.get("model")),
        units=UnitOptions.from_spec(str(metric.get("units", "mixed")), metric.get("char_scripts")),
        normalize=NormalizeOptions() if metric.get("normalize", True) else NormalizeOptions.none(),
        semantic_weighting=str(metric.get("semantic_weighting", "mean")),
    )


#: what :func:`write_reports` writes into a folder
REPORT_JSON, REPORT_TSV, REPORT_HTML, REPORT_PLOT = "saer.json", "per_utt.tsv", "report.html", "breakdown.png"
REPORT_FILES = (REPORT_JSON, REPORT_TSV, REPORT_HTML, REPORT_PLOT)


def write_reports(result: SAERResult, out_dir: str | Path, title: str) -> None:
    """Write saer.json, per_utt.tsv, report.html and breakdown.png into ``out_dir``."""
    out = Path(out_dir)
    write_json(result, out / REPORT_JSON)
    atomic_write_text(out / REPORT_TSV, per_utterance_tsv(result))
    write_html(result, out / REPORT_HTML, title)
    plot_breakdown(result, out / REPORT_PLOT, title)
