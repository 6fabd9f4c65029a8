"""Percentile-bootstrap intervals of SAER figures over utterances, and the exact re-pooling that the paired tests of
:mod:`cstoolkit.metrics.comparison` share.

A resample draws n utterance indices with replacement: resample b is the b-th call ``rng.integers(0, n, size=n)`` of
``rng = numpy.random.default_rng(seed)``, so a seed names the same resamples on every machine. Each figure is re-pooled
from per-utterance numbers computed once (edit counts, E_sem values) the way the corpus figure is pooled: the form
error is sum(S + D + I) / sum(N) over the resample (never a mean of per-utterance ratios), E_sem the resample's mean
(or its reference-length-weighted mean). Nothing is re-aligned or re-embedded.

How: a chunk of resamples becomes an occurrence matrix (how often each utterance is drawn), and every sum of every
figure is one matrix product of it with per-utterance integer columns. E_sem values enter as integers in units of
``2**-SEMANTIC_FRACTION_BITS``, and each column is split into limbs small enough that every partial sum of the product
is an integer the float type holds exactly: the product is exact whatever order the BLAS kernel or its threads add
in. So the same seed and the same per-utterance numbers give bit-identical intervals on every CPU and thread count
(the form error's come from integer counts alone, always the same). E_sem values themselves agree within
``saer.SAER_TOLERANCE`` across CPUs, and a bound moves by at most as much as the values do.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from cstoolkit.errors import ConfigError

if TYPE_CHECKING:
    from cstoolkit.metrics.align import EditCounts
    from cstoolkit.metrics.saer import SAERResult

#: Resamples of ``saer --ci`` and ``saer compare`` (also the trials of approximate randomization).
DEFAULT_RESAMPLES = 1000
#: Seed of the resampling when none is given (sacreBLEU's), so that a run repeats its intervals.
DEFAULT_SEED = 12345
#: Coverage of the intervals, and 1 - the significance threshold of ``saer compare``.
DEFAULT_LEVEL = 0.95
#: Cells of the (resamples x utterances) occurrence matrix held at once (16 MiB in float32, 32 MiB in float64):
#: 10,000 utterances are resampled 419 times per chunk.
CHUNK_CELLS = 1 << 22
#: E_sem values are rounded to multiples of 2**-40 (about 1e-12) so that their sums are integer sums.
SEMANTIC_FRACTION_BITS = 40
#: Integers below 2**bits are exact in each float type. The sums run in float32 (twice as fast) while its limbs
#: can hold at least FLOAT32_MIN_LIMB_BITS bits (corpora below 65,536 utterances), else in float64.
FLOAT_INTEGER_BITS = {np.float32: 24, np.float64: 53}
FLOAT32_MIN_LIMB_BITS = 8
#: numpy.quantile's method for the percentile bounds.
QUANTILE_METHOD = "linear"
#: BLAS threads of the resampling's thin matrix products: more threads cost more than they give there (they keep
#: spinning while numpy draws the next chunk), and the sums are exact whatever the count.
RESAMPLING_BLAS_THREADS = 1

#: Figure names, in report order (``error_rate`` is a script's).
SAER, FORM, SEMANTIC, ERROR_RATE = "saer", "form_error", "semantic_error", "error_rate"
#: Group keys of :class:`Layout`: the whole corpus, one tag, one script.
CORPUS: tuple[str, str] = ("corpus", "")


@dataclass(frozen=True)
class Interval:
    """A percentile-bootstrap interval: ``low``/``high`` bound the middle ``level`` of ``resamples`` re-pooled
    values drawn with ``seed``. NaN bounds when no resample contained the group."""

    level: float
    low: float
    high: float
    resamples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN bounds become null)."""
        return {
            "level": self.level,
            "low": _number(self.low),
            "high": _number(self.high),
            "resamples": self.resamples,
            "seed": self.seed,
        }

    def format(self, digits: int = 4) -> str:
        """``[0.0480, 0.0760]``."""
        if math.isnan(self.low):
            return "[n/a]"
        return f"[{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def intervals_to_dict(intervals: Mapping[str, Interval]) -> dict[str, dict[str, Any]]:
    """figure -> interval as the JSON ``ci`` object."""
    return {name: interval.to_dict() for name, interval in intervals.items()}


def format_level(level: float) -> str:
    """0.95 -> ``95%``."""
    return f"{level * 100:g}%"


def check_settings(resamples: int, seed: int, level: float) -> None:
    """ConfigError for a resample count below 1, a negative seed or a level outside (0, 1)."""
    try:
        count = operator.index(resamples)
    except TypeError:
        count = 0
    if isinstance(resamples, bool) or count < 1:
        raise ConfigError(f"bootstrap resamples must be a whole number of at least 1, got {resamples!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a whole number of at least 0, got {seed!r}")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"confidence level must be between 0 and 1 (e.g. {DEFAULT_LEVEL}), got {level}")


def row_chunks(count: int, width: int, draw: Callable[[], np.ndarray], dtype: type) -> Iterator[np.ndarray]:
    """``count`` rows of ``width`` values, ``draw()`` giving each, in chunks of at most CHUNK_CELLS (one buffer,
    reused: a chunk is valid until the next one is drawn)."""
    per_chunk = max(1, min(count, CHUNK_CELLS // max(width, 1)))
    buffer = np.empty((per_chunk, width), dtype)
    for start in range(0, count, per_chunk):
        chunk = buffer[: min(per_chunk, count - start)]
        for row in range(len(chunk)):
            chunk[row] = draw()
        yield chunk


def occurrence_chunks(n: int, resamples: int, seed: int, dtype: type = np.float64) -> Iterator[np.ndarray]:
    """How often each of n utterances is drawn in each resample: chunks of shape (rows, n), rows summing to n.
    Row b counts the indices ``rng.integers(0, n, size=n)`` of the b-th call on ``rng = default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return row_chunks(resamples, n, lambda: np.bincount(rng.integers(0, n, size=n), minlength=n), dtype)


class ExactSums:
    """Weighted sums of non-negative integer columns, the same on every CPU: ``weights @ columns`` for weight rows of
    non-negative integers that sum to at most ``max_row_weight``.

    Each column is split into limbs of L bits with ``max_row_weight * 2**L <= 2**B`` (B = 24 in float32, 53 in
    float64: :attr:`dtype`), so every product and partial sum of the matrix product is an integer below 2**B and
    exact in any order; the limbs are recombined in float64 in a fixed order (exactly, while a sum stays below 2**53,
    as edit counts do).
    """

    def __init__(self, columns: np.ndarray, max_row_weight: int) -> None:
        columns = np.asarray(columns, dtype=np.int64)
        if columns.size and columns.min() < 0:
            raise ValueError("ExactSums needs non-negative columns")
        weight_bits = int(max_row_weight).bit_length()
        self.dtype: type = np.float32
        self.limb_bits = FLOAT_INTEGER_BITS[np.float32] - weight_bits
        if self.limb_bits < FLOAT32_MIN_LIMB_BITS:
            self.dtype, self.limb_bits = np.float64, FLOAT_INTEGER_BITS[np.float64] - weight_bits
        if self.limb_bits < 1:
            raise ConfigError(f"{max_row_weight} utterances are too many to resample exactly")
        mask = (1 << self.limb_bits) - 1
        limbs, self.plan = [], []  # plan: (column, shift) of each limb
        for j in range(columns.shape[1]):
            top = int(columns[:, j].max(initial=0)).bit_length()
            for shift in range(0, max(top, 1), self.limb_bits):
                limbs.append((columns[:, j] >> shift) & mask)
                self.plan.append((j, shift))
        self.limbs = np.stack(limbs, axis=1).astype(self.dtype) if limbs else np.zeros((len(columns), 0), self.dtype)
        self.width = columns.shape[1]

    def over(self, chunks: Iterator[np.ndarray], rows: int) -> np.ndarray:
        """The sums of ``rows`` weight rows that come in chunks -> (rows, columns) float64."""
        out = np.empty((rows, self.width))
        done = 0
        with threadpool_limits(RESAMPLING_BLAS_THREADS, user_api="blas"):
            for chunk in chunks:
                out[done : done + len(chunk)] = self(chunk)
                done += len(chunk)
        return out

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        """(rows, n) weights of :attr:`dtype` -> (rows, columns) float64 sums."""
        parts = (weights @ self.limbs).astype(np.float64)
        out = np.zeros((len(weights), self.width))
        for index, (j, shift) in enumerate(self.plan):
            out[:, j] += np.ldexp(parts[:, index], shift)
        return out


def resampled_sums(columns: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Column sums of every resample: (n, k) integer columns -> (resamples, k) float64."""
    n = len(columns)
    summer = ExactSums(columns, n)
    return summer.over(occurrence_chunks(n, resamples, seed, summer.dtype), resamples)


def percentile_interval(values: np.ndarray, level: float, resamples: int, seed: int) -> Interval:
    """The middle ``level`` of the finite values (NaN: resamples in which the group was absent)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Interval(level, math.nan, math.nan, resamples, seed)
    low, high = np.quantile(finite, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], method=QUANTILE_METHOD)
    return Interval(level, float(low), float(high), resamples, seed)


def mean_interval(
    values: Sequence[float],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """Percentile-bootstrap interval of the mean of per-utterance ``values`` (a speaker similarity, a 0/1 "own
    speaker first"), resampled like the SAER figures (the same draws for the same seed and size) and summed exactly
    (values rounded to multiples of ``2**-SEMANTIC_FRACTION_BITS``), so that it repeats on every CPU."""
    check_settings(resamples, seed, level)
    if len(values) == 0:
        return Interval(level, math.nan, math.nan, resamples, seed)
    return percentile_interval(resampled_means(values, resamples, seed), level, resamples, seed)


def resampled_means(values: Sequence[float], resamples: int, seed: int) -> np.ndarray:
    """The mean of non-empty per-utterance ``values`` in each bootstrap resample (the draws of the SAER figures),
    from exact sums of the values rounded to multiples of ``2**-SEMANTIC_FRACTION_BITS``."""
    array = np.asarray(values, dtype=np.float64)
    low = min(0.0, float(array.min()))  # ExactSums adds non-negative integers: shift negative values up
    column = np.rint(np.ldexp(array - low, SEMANTIC_FRACTION_BITS)).astype(np.int64)[:, None]
    sums = resampled_sums(column, resamples, seed)[:, 0]
    return np.ldexp(sums, -SEMANTIC_FRACTION_BITS) / array.size + low


def error_rates(errors: np.ndarray, units: np.ndarray) -> np.ndarray:
    """(S + D + I) / N elementwise; with N = 0: 0 without errors, else 1 (as ``EditCounts.error_rate``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(units > 0, errors / units, (errors > 0).astype(np.float64))


class Layout:
    """The per-utterance integer columns of a result (corpus, each tag, each script) and how each group's figures
    come back from their sums.

    tags: the tag groups (default: the result's). scripts: include per-script columns.
    """

    def __init__(self, result: SAERResult, tags: Sequence[str] | None = None, scripts: bool = True) -> None:
        utts = result.per_utterance
        n = len(utts)
        self.lam = result.config.lam
        self.weighting = result.config.semantic_weighting
        self.semantic = result.corpus.semantic_error is not None
        self.tags = tuple(sorted(result.per_tag)) if tags is None else tuple(tags)
        self.scripts = tuple(sorted(result.per_script)) if scripts else ()
        self.index: dict[tuple[str, str, str], int] = {}
        self._columns: list[np.ndarray] = []
        counts = _int_table((_counts_row(u.counts) for u in utts), 4)
        errors, units = counts[:, :3].sum(axis=1), counts[:, 3]
        semantic = None
        if self.semantic:
            values = np.fromiter((u.semantic_error or 0.0 for u in utts), np.float64, n)
            semantic = np.rint(np.ldexp(values, SEMANTIC_FRACTION_BITS)).astype(np.int64)
        self._add_group(CORPUS, np.ones(n, np.int64), errors, units, semantic)
        if self.tags:
            tag_of = np.array([u.tag or "" for u in utts], dtype=object)
            for tag in self.tags:
                self._add_group(("tag", tag), (tag_of == tag).astype(np.int64), errors, units, semantic)
        if self.scripts:
            self._add_scripts(result)
        self.columns = np.stack(self._columns, axis=1)

    def _add(self, group: tuple[str, str], what: str, values: np.ndarray) -> None:
        self.index[(*group, what)] = len(self._columns)
        self._columns.append(values)

    def _add_group(
        self,
        group: tuple[str, str],
        mask: np.ndarray,
        errors: np.ndarray,
        units: np.ndarray,
        semantic: np.ndarray | None,
    ) -> None:
        self._add(group, "errors", errors * mask)
        self._add(group, "units", units * mask)
        self._add(group, "count", mask)
        if semantic is not None:
            self._add(group, "semantic", semantic * mask)
            if self.weighting == "length":
                self._add(group, "weighted", semantic * units * mask)

    def _add_scripts(self, result: SAERResult) -> None:
        where = {name: i for i, name in enumerate(self.scripts)}
        cells = (
            (row, where[name], *_counts_row(counts))
            for row, utt in enumerate(result.per_utterance)
            for name, counts in utt.scripts.items()
        )
        table = _int_table(cells, 6)
        shape = (len(result.per_utterance), len(self.scripts))
        errors, units = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
        errors[table[:, 0], table[:, 1]] = table[:, 2:5].sum(axis=1)
        units[table[:, 0], table[:, 1]] = table[:, 5]
        for name, column in where.items():
            self._add(("script", name), "errors", errors[:, column])
            self._add(("script", name), "units", units[:, column])

    def groups(self) -> list[tuple[str, str]]:
        """The corpus and the tag groups, in that order."""
        return [CORPUS, *(("tag", tag) for tag in self.tags)]

    def figures(self, sums: np.ndarray, group: tuple[str, str]) -> dict[str, np.ndarray]:
        """SAER, form error and (with a model) E_sem of a group from (rows, columns) sums; NaN where the group is
        empty."""
        column = self._column_getter(sums, group)
        with np.errstate(divide="ignore", invalid="ignore"):
            form = np.where(column("count") > 0, error_rates(column("errors"), column("units")), np.nan)
            out = {SAER: form, FORM: form}
            if self.semantic:
                semantic = np.ldexp(column("semantic"), -SEMANTIC_FRACTION_BITS) / column("count")
                if self.weighting == "length":
                    weighted = np.ldexp(column("weighted"), -SEMANTIC_FRACTION_BITS) / column("units")
                    semantic = np.where(column("units") > 0, weighted, semantic)
                out = {SAER: self.lam * form + (1.0 - self.lam) * semantic, FORM: form, SEMANTIC: semantic}
        return out

    def script_rates(self, sums: np.ndarray, script: str) -> np.ndarray:
        """A script's error rate from (rows, columns) sums."""
        column = self._column_getter(sums, ("script", script))
        return error_rates(column("errors"), column("units"))

    def _column_getter(self, sums: np.ndarray, group: tuple[str, str]) -> Callable[[str], np.ndarray]:
        return lambda what: sums[:, self.index[(*group, what)]]


def _counts_row(counts: EditCounts) -> tuple[int, int, int, int]:
    return counts.substitutions, counts.deletions, counts.insertions, counts.ref_units


def _int_table(rows: Iterable[tuple[int, ...]], width: int) -> np.ndarray:
    """Rows of ``width`` integers -> (rows, width) int64."""
    return np.fromiter(chain.from_iterable(rows), np.int64).reshape(-1, width)


def add_intervals(
    result: SAERResult, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL
) -> SAERResult:
    """Fill ``result.ci``, ``result.per_tag[tag].ci`` and ``result.per_script_ci`` with percentile-bootstrap
    intervals over utterances (see the module docstring); returns ``result``."""
    check_settings(resamples, seed, level)
    layout = Layout(result)
    sums = resampled_sums(layout.columns, resamples, seed)

    def interval(values: np.ndarray) -> Interval:
        return percentile_interval(values, level, resamples, seed)

    result.corpus.ci = {name: interval(values) for name, values in layout.figures(sums, CORPUS).items()}
    for tag in layout.tags:
        figures = layout.figures(sums, ("tag", tag))
        result.per_tag[tag].ci = {name: interval(values) for name, values in figures.items()}
    result.per_script_ci = {name: interval(layout.script_rates(sums, name)) for name in layout.scripts}
    return result
