"""Paired comparison of two systems scored against the same references: B - A of each SAER figure (SAER, form error,
E_sem, each per tag too) with its paired-bootstrap interval and a two-sided p-value.

Both systems are resampled with the same utterance indices (:mod:`cstoolkit.metrics.bootstrap`): a resample changes
which utterances the test set holds, never which system produced which utterance. The p-value answers: if A and B
were equally good, how often would a difference at least as large as the observed one (either sign) arise by chance?

- ``test="bootstrap"`` (the default): the paired bootstrap of Koehn (2004), two-sided, on the shifted distribution:
  the resampled differences d_b, centred on their mean so that they stand for "no difference", are compared with the
  observed difference d: p = (1 + #{b : |d_b - mean(d_b)| >= |d|}) / (N + 1). (sacreBLEU shifts |d_b| by its mean
  and counts strictly greater values; the two agree closely unless d is near 0.)
- ``test="ar"``: approximate randomization (Riezler & Maxwell 2005): each of N trials swaps every utterance's A and B
  numbers with probability 1/2 and re-pools: p = (1 + #{t : |d_t| >= |d|}) / (N + 1). Counting ties (>=) keeps
  identical systems at p = 1.

The smallest p-value is 1 / (N + 1). The interval is the paired bootstrap's in both cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cstoolkit.errors import ConfigError
from cstoolkit.metrics.bootstrap import (
    CORPUS,
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    SAER,
    ExactSums,
    Interval,
    Layout,
    check_settings,
    format_level,
    percentile_interval,
    resampled_sums,
    row_chunks,
)
from cstoolkit.metrics.saer import FIGURE_LABELS, GroupScore, SAERResult

#: The significance tests: name -> description.
TESTS = {"bootstrap": "paired bootstrap", "ar": "approximate randomization"}
DEFAULT_TEST = "bootstrap"
#: Approximate randomization draws its swaps from ``default_rng([seed, RANDOMIZATION_STREAM])``: a stream of its own,
#: apart from the bootstrap's ``default_rng(seed)``.
RANDOMIZATION_STREAM = 1
#: How the two systems are called in reports.
SYSTEMS = ("A", "B")


@dataclass(frozen=True)
class Difference:
    """One figure of both systems: ``delta`` = b - a, its paired-bootstrap interval and the two-sided p-value."""

    a: float
    b: float
    ci: Interval
    p_value: float

    @property
    def delta(self) -> float:
        """b - a: negative when B has the lower error."""
        return self.b - self.a

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"a": self.a, "b": self.b, "delta": self.delta, "ci": self.ci.to_dict(), "p_value": self.p_value}

    def format(self, digits: int = 4) -> str:
        """``-0.0123 [-0.0200, -0.0050] p=0.0010``."""
        return f"{self.delta:+.{digits}f} {self.ci.format(digits)} p={self.p_value:.{digits}f}"


@dataclass
class ComparisonResult:
    """Two systems on the same references: their results (with bootstrap intervals from the shared resamples), the
    differences B - A of the corpus figures (``differences``) and of each tag's (``per_tag``)."""

    a: SAERResult
    b: SAERResult
    differences: dict[str, Difference]
    per_tag: dict[str, dict[str, Difference]]
    test: str
    level: float
    resamples: int
    seed: int
    names: tuple[str, str] = SYSTEMS

    @property
    def signature(self) -> str:
        """The scoring settings (the same for both systems)."""
        return self.a.signature

    @property
    def better(self) -> str | None:
        """The system with the lower SAER ("A" or "B"); None when they are equal."""
        delta = self.differences[SAER].delta
        return None if delta == 0 else SYSTEMS[1] if delta < 0 else SYSTEMS[0]

    @property
    def significant(self) -> bool:
        """Whether the SAER difference is significant at ``level`` (p < 1 - level)."""
        return self.differences[SAER].p_value < 1.0 - self.level

    def to_dict(self) -> dict[str, Any]:
        """The ``saer compare --json`` document."""
        out: dict[str, Any] = {
            "test": self.test,
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
            "a": {"name": self.names[0], **self.a.corpus.to_dict()},
            "b": {"name": self.names[1], **self.b.corpus.to_dict()},
            "difference": _differences_dict(self.differences),
            "better": self.better,
            "significant": self.significant,
            "signature": self.signature,
        }
        if self.per_tag:
            out["per_tag"] = {tag: _differences_dict(diffs) for tag, diffs in sorted(self.per_tag.items())}
        return out

    def summary(self) -> str:
        """Both systems, B - A per figure (and per tag), which system is better and whether significantly."""
        lines = []
        for letter, name, result in zip(SYSTEMS, self.names, (self.a, self.b)):
            label = letter if name == letter else f"{letter} {name}"
            lines.append(f"{label}: {result.corpus.format_figures()}")
        lines.append(f"B - A: {_format_differences(self.differences)}")
        lines.extend(f"B - A {tag}: {_format_differences(diffs)}" for tag, diffs in sorted(self.per_tag.items()))
        lines.append(self.verdict())
        lines.append(
            f"{format_level(self.level)} intervals: paired bootstrap over utterances; p-values: {TESTS[self.test]}; "
            f"{self.resamples} resamples, seed {self.seed}"
        )
        lines.append(self.signature)
        return "\n".join(lines)

    def verdict(self) -> str:
        """One sentence: which system has the lower SAER and whether the difference is significant."""
        diff = self.differences[SAER]
        alpha = f"{1.0 - self.level:.6g}"
        if self.better is None:
            return f"A and B have the same SAER ({diff.a:.4f}): no difference (p = {diff.p_value:.4f})."
        verdict = "significant" if self.significant else "not significant"
        relation = "<" if self.significant else ">="
        return (
            f"{self.better} is better (SAER lower by {abs(diff.delta):.4f}); the difference is {verdict} at the "
            f"{format_level(self.level)} level (p = {diff.p_value:.4f} {relation} {alpha})."
        )


def _differences_dict(diffs: dict[str, Difference]) -> dict[str, dict[str, Any]]:
    return {name: diff.to_dict() for name, diff in diffs.items()}


def _format_differences(diffs: dict[str, Difference]) -> str:
    return "  ".join(f"{FIGURE_LABELS[name]} {diff.format()}" for name, diff in diffs.items())


def _check_pair(a: SAERResult, b: SAERResult) -> None:
    """ConfigError unless both results score the same utterances against the same references with the same
    settings."""
    if a.signature != b.signature:
        raise ConfigError(f"the systems were scored with different settings: {a.signature} vs {b.signature}")
    ids_a, ids_b = [u.id for u in a.per_utterance], [u.id for u in b.per_utterance]
    if ids_a != ids_b:
        only_a, only_b = sorted(set(ids_a) - set(ids_b)), sorted(set(ids_b) - set(ids_a))
        what = f"only A has {only_a[0]!r}" if only_a else f"only B has {only_b[0]!r}" if only_b else "order differs"
        raise ConfigError(f"systems A and B cover different utterances ({len(ids_a)} vs {len(ids_b)}; {what})")
    for ua, ub in zip(a.per_utterance, b.per_utterance):
        if ua.reference != ub.reference or ua.tag != ub.tag:
            raise ConfigError(f"utterance {ua.id!r}: systems A and B were scored against different references or tags")


def check_test(test: str) -> None:
    if test not in TESTS:
        raise ConfigError(f"unknown test {test!r}: use one of {', '.join(TESTS)}")


def _randomized_sums(columns_a: np.ndarray, columns_b: np.ndarray, trials: int, seed: int) -> np.ndarray:
    """Column sums of A and B side by side (trials, 2k) after each trial swapped every utterance's A and B rows with
    probability 1/2 (trial t: the t-th ``rng.integers(0, 2, size=n)`` of ``default_rng([seed, 1])``)."""
    n = len(columns_a)
    # weights [keep | swap] (each row sums to n) times [[A, B], [B, A]]: A' = keep.A + swap.B, B' = keep.B + swap.A
    summer = ExactSums(np.block([[columns_a, columns_b], [columns_b, columns_a]]), n)
    rng = np.random.default_rng([seed, RANDOMIZATION_STREAM])

    def draw() -> np.ndarray:
        swap = rng.integers(0, 2, size=n)
        return np.concatenate([1 - swap, swap])

    return summer.over(row_chunks(trials, 2 * n, draw, summer.dtype), trials)


def bootstrap_p_value(differences: np.ndarray, observed: float) -> float:
    """Two-sided paired-bootstrap p-value on the shifted distribution (see the module docstring)."""
    finite = differences[np.isfinite(differences)]
    if finite.size == 0 or math.isnan(observed):
        return math.nan
    extreme = int(np.count_nonzero(np.abs(finite - finite.mean()) >= abs(observed)))
    return (extreme + 1) / (finite.size + 1)


def randomization_p_value(differences: np.ndarray, observed: float) -> float:
    """Two-sided approximate-randomization p-value (see the module docstring)."""
    finite = differences[np.isfinite(differences)]
    if finite.size == 0 or math.isnan(observed):
        return math.nan
    extreme = int(np.count_nonzero(np.abs(finite) >= abs(observed)))
    return (extreme + 1) / (finite.size + 1)


@dataclass
class _PairedSums:
    """The column sums of both systems side by side: over the bootstrap resamples, over the whole corpus once
    (``observed``) and, for approximate randomization, over the swap trials (``null``)."""

    layout_a: Layout
    layout_b: Layout
    resampled: np.ndarray
    observed: np.ndarray
    null: np.ndarray | None

    def figures(self, sums: np.ndarray, group: tuple[str, str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """A's and B's figures of a group from side-by-side sums."""
        width = self.layout_a.columns.shape[1]
        return self.layout_a.figures(sums[:, :width], group), self.layout_b.figures(sums[:, width:], group)


def _paired_sums(a: SAERResult, b: SAERResult, resamples: int, seed: int, test: str) -> _PairedSums:
    layout_a = Layout(a, scripts=False)
    layout_b = Layout(b, tags=layout_a.tags, scripts=False)
    columns = np.concatenate([layout_a.columns, layout_b.columns], axis=1)
    summer = ExactSums(columns, len(columns))
    observed = summer(np.ones((1, len(columns)), summer.dtype))
    null = _randomized_sums(layout_a.columns, layout_b.columns, resamples, seed) if test == "ar" else None
    return _PairedSums(layout_a, layout_b, resampled_sums(columns, resamples, seed), observed, null)


def _group_differences(
    sums: _PairedSums,
    group: tuple[str, str],
    score_a: GroupScore,
    score_b: GroupScore,
    level: float,
    resamples: int,
    seed: int,
) -> dict[str, Difference]:
    """B - A of each figure of a group; fills both groups' own intervals."""
    fig_a, fig_b = sums.figures(sums.resampled, group)
    obs_a, obs_b = sums.figures(sums.observed, group)
    null_a, null_b = sums.figures(sums.null, group) if sums.null is not None else ({}, {})
    score_a.ci = {name: percentile_interval(values, level, resamples, seed) for name, values in fig_a.items()}
    score_b.ci = {name: percentile_interval(values, level, resamples, seed) for name, values in fig_b.items()}
    diffs = {}
    for name in fig_a:
        observed = float(obs_b[name][0] - obs_a[name][0])
        if sums.null is None:
            p_value = bootstrap_p_value(fig_b[name] - fig_a[name], observed)
        else:
            p_value = randomization_p_value(null_b[name] - null_a[name], observed)
        interval = percentile_interval(fig_b[name] - fig_a[name], level, resamples, seed)
        diffs[name] = Difference(getattr(score_a, name), getattr(score_b, name), interval, p_value)
    return diffs


def compare_results(
    a: SAERResult,
    b: SAERResult,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    test: str = DEFAULT_TEST,
    names: tuple[str, str] = SYSTEMS,
) -> ComparisonResult:
    """Compare two results of the same utterances, references and settings (ConfigError otherwise).

    Also fills the intervals of ``a`` and ``b`` (corpus and tags) from the shared resamples: they equal what
    ``saer --ci`` gives each system with the same seed.
    """
    check_settings(resamples, seed, level)
    check_test(test)
    _check_pair(a, b)
    sums = _paired_sums(a, b, resamples, seed, test)
    differences = {
        group: _group_differences(sums, group, _group_score(a, group), _group_score(b, group), level, resamples, seed)
        for group in sums.layout_a.groups()
    }
    per_tag = {tag: differences[("tag", tag)] for tag in sums.layout_a.tags}
    return ComparisonResult(a, b, differences[CORPUS], per_tag, test, level, resamples, seed, names)


def _group_score(result: SAERResult, group: tuple[str, str]) -> GroupScore:
    return result.corpus if group == CORPUS else result.per_tag[group[1]]
