"""Bootstrap intervals (``saer(..., bootstrap=N)``): they agree with a plain-Python re-pooling of the same draws,
contain the point estimates, repeat with the seed and do not depend on the chunking."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from saer_corpora import references, system

from cstoolkit import saer
from cstoolkit.errors import ConfigError
from cstoolkit.metrics import bootstrap
from cstoolkit.metrics.align import EditCounts
from cstoolkit.metrics.bootstrap import ExactSums, Interval, add_intervals
from cstoolkit.metrics.saer import SAERResult

RESAMPLES = 200  # enough to compare with the plain loop; the real default (1000) runs in the other tests
LEVEL = 0.9


def reference_bootstrap(result: SAERResult, resamples: int, seed: int, level: float) -> dict[tuple[str, str], tuple]:
    """The straightforward way: draw the same indices, re-pool EditCounts and E_sem utterance by utterance."""
    utts = result.per_utterance
    lam, weighting = result.config.lam, result.config.semantic_weighting
    semantic = result.semantic_error is not None
    rng = np.random.default_rng(seed)
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(resamples):
        sample = [utts[i] for i in rng.integers(0, len(utts), size=len(utts))]
        groups = {"corpus": sample}
        for tag in result.per_tag:
            members = [u for u in sample if u.tag == tag]
            if members:  # a tag absent from a resample has no value there
                groups[tag] = members
        for name, members in groups.items():
            counts = EditCounts()
            for utt in members:
                counts.add(utt.counts)
            values[(name, "form_error")].append(counts.error_rate)
            if not semantic:
                values[(name, "saer")].append(counts.error_rate)
                continue
            weights = [u.counts.ref_units if weighting == "length" else 1 for u in members]
            sem = sum(u.semantic_error * w for u, w in zip(members, weights)) / sum(weights)
            values[(name, "semantic_error")].append(sem)
            values[(name, "saer")].append(lam * counts.error_rate + (1 - lam) * sem)
        scripts: dict[str, EditCounts] = defaultdict(EditCounts)
        for utt in sample:
            for script, counts in utt.scripts.items():
                scripts[script].add(counts)
        for script in result.per_script:
            values[(f"script:{script}", "error_rate")].append(scripts[script].error_rate)
    bounds = [(1 - level) / 2, (1 + level) / 2]
    return {key: tuple(np.quantile(v, bounds)) for key, v in values.items()}


def computed_intervals(result: SAERResult) -> dict[tuple[str, str], Interval]:
    out = {("corpus", name): interval for name, interval in result.ci.items()}
    for tag, group in result.per_tag.items():
        out.update({(tag, name): interval for name, interval in group.ci.items()})
    out.update({(f"script:{name}", "error_rate"): interval for name, interval in result.per_script_ci.items()})
    return out


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str], list[str], dict[str, str]]:
    ids, refs, tags = references(300, seed=3)
    return ids, refs, system(refs, 0.15, seed=4), tags


@pytest.mark.parametrize("weighting", ["mean", "length"])
def test_intervals_match_a_plain_python_bootstrap(corpus, counting, weighting) -> None:
    ids, refs, hyps, tags = corpus
    result = saer(
        refs,
        hyps,
        lam=0.4,
        model=counting,
        ids=ids,
        tags=tags,
        semantic_weighting=weighting,
        bootstrap=RESAMPLES,
        seed=11,
        ci_level=LEVEL,
    )
    expected = reference_bootstrap(result, RESAMPLES, 11, LEVEL)
    got = computed_intervals(result)
    assert set(got) == set(expected) and len(got) == 3 * 5 + len(result.per_script)
    for key, (low, high) in expected.items():
        interval = got[key]
        assert (interval.level, interval.resamples, interval.seed) == (LEVEL, RESAMPLES, 11)
        if key[1] in ("form_error", "error_rate"):  # integer counts: exactly the same numbers
            assert (interval.low, interval.high) == (low, high), key
        else:  # E_sem enters as multiples of 2**-40
            assert interval.low == pytest.approx(low, abs=1e-9) and interval.high == pytest.approx(high, abs=1e-9)


def test_form_error_only_with_lambda_one(corpus, exploding) -> None:
    ids, refs, hyps, tags = corpus
    result = saer(refs, hyps, lam=1, model=exploding, ids=ids, tags=tags, bootstrap=RESAMPLES, seed=5)
    assert set(result.ci) == {"saer", "form_error"} and result.ci["saer"] == result.ci["form_error"]
    expected = reference_bootstrap(result, RESAMPLES, 5, bootstrap.DEFAULT_LEVEL)
    for key, bounds in expected.items():
        assert (computed_intervals(result)[key].low, computed_intervals(result)[key].high) == bounds, key


def test_intervals_contain_the_point_estimates(corpus, counting) -> None:
    ids, refs, hyps, tags = corpus
    result = saer(refs, hyps, model=counting, ids=ids, tags=tags, bootstrap=1000)
    for group in (result.corpus, *result.per_tag.values()):
        for name in ("saer", "form_error", "semantic_error"):
            assert getattr(group, name) in group.ci[name], (name, group.ci[name])
            assert group.ci[name].high - group.ci[name].low > 0
    for script, counts in result.per_script.items():
        assert counts.error_rate in result.per_script_ci[script]


def test_same_seed_same_intervals_other_seed_other_intervals(corpus) -> None:
    ids, refs, hyps, tags = corpus
    first = saer(refs, hyps, lam=1, ids=ids, tags=tags, bootstrap=500, seed=1)
    again = saer(refs, hyps, lam=1, ids=ids, tags=tags, bootstrap=500, seed=1)
    other = saer(refs, hyps, lam=1, ids=ids, tags=tags, bootstrap=500, seed=2)
    assert computed_intervals(first) == computed_intervals(again)
    assert computed_intervals(first) != computed_intervals(other)
    assert first.ci["saer"].seed == 1 and other.ci["saer"].seed == 2


def test_chunking_does_not_change_the_draws(corpus, counting, monkeypatch) -> None:
    ids, refs, hyps, tags = corpus
    result = saer(refs, hyps, model=counting, ids=ids, tags=tags)
    whole = computed_intervals(add_intervals(result, 300, seed=9))
    monkeypatch.setattr(bootstrap, "CHUNK_CELLS", 7 * len(refs) + 3)  # 7 resamples per chunk
    assert computed_intervals(add_intervals(result, 300, seed=9)) == whole


def test_result_dict_and_summary_carry_the_intervals(corpus) -> None:
    ids, refs, hyps, tags = corpus
    result = saer(refs, hyps, lam=1, ids=ids, tags=tags, bootstrap=100, seed=3)
    doc = result.to_dict(per_utterance=False)
    ci = doc["ci"]["saer"]
    assert set(ci) == {"level", "low", "high", "resamples", "seed"}
    assert (ci["level"], ci["resamples"], ci["seed"]) == (0.95, 100, 3) and ci["low"] <= doc["saer"] <= ci["high"]
    assert set(doc["per_tag"]["zh-en"]["ci"]) == {"saer", "form_error"}
    assert set(doc["per_script"]["Han"]["ci"]["error_rate"]) == {"level", "low", "high", "resamples", "seed"}
    first = result.summary().splitlines()[0]
    saer_ci = result.ci["saer"]
    assert first.startswith(f"SAER {result.saer:.4f} [{saer_ci.low:.4f}, {saer_ci.high:.4f}]  form error ")
    assert "95% intervals: percentile bootstrap over utterances, 100 resamples, seed 3" in result.summary()
    plain = saer(refs, hyps, lam=1, ids=ids).to_dict()
    assert "ci" not in plain and "ci" not in plain["per_script"]["Han"]


def test_one_utterance_and_identical_texts() -> None:
    result = saer("a b c", "a b c", lam=1, bootstrap=50)
    assert (result.ci["saer"].low, result.ci["saer"].high) == (0.0, 0.0)
    result = saer(["", "x"], ["y", "x"], lam=1, bootstrap=50, seed=0)  # empty reference: N = 0 but an error
    assert result.ci["form_error"].high == 1.0


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        saer("a", "b", lam=1, bootstrap=0)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        saer("a", "b", lam=1, bootstrap=10, ci_level=95)
    with pytest.raises(ConfigError, match="seed"):
        saer("a", "b", lam=1, bootstrap=10, seed=-1)


def test_exact_sums_are_exact_in_both_float_types() -> None:
    rng = np.random.default_rng(0)
    n = 500
    columns = np.stack([rng.integers(0, 40, n), rng.integers(0, 2**52, n), np.full(n, 2**40)], axis=1)
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(20)])
    exact = [[sum(int(w) * int(v) for w, v in zip(row, columns[:, j])) for j in range(3)] for row in weights]
    small = ExactSums(columns, n)
    big = ExactSums(columns, 2**20)  # too many rows for float32 limbs
    assert small.dtype is np.float32 and big.dtype is np.float64
    for summer in (small, big):
        got = summer(weights.astype(summer.dtype))
        assert got[:, 0].tolist() == [row[0] for row in exact]  # below 2**53: exact
        assert np.allclose(got[:, 1:], np.array(exact, dtype=np.float64)[:, 1:], rtol=1e-15, atol=0)


def test_percentile_interval_skips_absent_groups() -> None:
    interval = bootstrap.percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5, 4, 0)
    assert (interval.low, interval.high) == (1.5, 2.5)
    empty = bootstrap.percentile_interval(np.array([np.nan]), 0.5, 1, 0)
    assert math.isnan(empty.low) and empty.to_dict()["low"] is None and empty.format() == "[n/a]"


def test_the_interval_of_a_mean_matches_a_plain_loop_and_holds_negative_values():
    import numpy as np

    from cstoolkit.metrics.bootstrap import mean_interval

    values = np.random.default_rng(7).normal(0.1, 0.3, size=150)
    got = mean_interval(values, resamples=200, seed=3, level=0.9)
    rng = np.random.default_rng(3)
    means = [values[rng.integers(0, len(values), size=len(values))].mean() for _ in range(200)]
    low, high = np.quantile(means, [0.05, 0.95])
    assert abs(got.low - low) < 1e-9 and abs(got.high - high) < 1e-9
    assert got.low < values.mean() < got.high
    assert mean_interval(values, resamples=200, seed=3, level=0.9) == got
