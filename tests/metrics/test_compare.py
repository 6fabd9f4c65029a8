"""Paired comparison (``cstoolkit.metrics.compare``): paired-bootstrap intervals of B - A and p-values that find a
real difference and stay large where there is none."""

from __future__ import annotations

import numpy as np
import pytest
from saer_corpora import corrupt, references, system

from cstoolkit.errors import ConfigError
from cstoolkit.metrics import compare
from cstoolkit.metrics.bootstrap import add_intervals
from cstoolkit.metrics.comparison import compare_results
from cstoolkit.metrics.saer import SAERConfig, compute_saer
from cstoolkit.text import UnitOptions

RESAMPLES = 1000


def worse_on_a_fifth(hyps: list[str], seed: int) -> list[str]:
    """System A's output with more errors in every fifth utterance."""
    rng = np.random.default_rng(seed)
    return [corrupt(hyp, 0.5, rng) if i % 5 == 0 else hyp for i, hyp in enumerate(hyps)]


@pytest.mark.parametrize("test", ["bootstrap", "ar"])
def test_a_real_difference_is_significant(test) -> None:
    ids, refs, tags = references(300, seed=0)
    a = system(refs, 0.1, seed=1)
    b = worse_on_a_fifth(a, seed=2)
    result = compare(refs, a, b, lam=1, ids=ids, tags=tags, test=test, bootstrap=RESAMPLES)
    diff = result.differences["saer"]
    assert diff.delta > 0 and diff.p_value < 0.01 and diff.ci.low > 0
    assert result.better == "A" and result.significant
    assert result.test == test and set(result.per_tag) == {"zh-en", "ja-en", "es-en", "ko-en"}
    swapped = compare(refs, b, a, lam=1, ids=ids, test=test, bootstrap=RESAMPLES)
    assert swapped.better == "B" and swapped.differences["saer"].p_value < 0.01
    assert "A is better" in result.summary() and "significant at the 95% level" in result.summary()


@pytest.mark.parametrize("test", ["bootstrap", "ar"])
def test_the_same_error_rate_is_rarely_significant(test) -> None:
    p_values = []
    for seed in range(10):
        _, refs, _ = references(200, seed=seed)
        a, b = system(refs, 0.1, seed=100 + seed), system(refs, 0.1, seed=200 + seed)
        p_values.append(compare(refs, a, b, lam=1, test=test, bootstrap=500, seed=seed).differences["saer"].p_value)
    assert sum(p > 0.05 for p in p_values) >= 8, p_values


def test_paired_bootstrap_matches_a_plain_loop() -> None:
    _, refs, _ = references(120, seed=5)
    a, b = system(refs, 0.1, seed=6), system(refs, 0.15, seed=7)
    result = compare(refs, a, b, lam=1, bootstrap=300, seed=4, ci_level=0.9)
    ua = compute_saer(refs, a, config=SAERConfig(lam=1)).per_utterance
    ub = compute_saer(refs, b, config=SAERConfig(lam=1)).per_utterance
    rng = np.random.default_rng(4)
    deltas = []
    for _ in range(300):
        idx = rng.integers(0, len(refs), size=len(refs))
        units = sum(ua[i].counts.ref_units for i in idx)
        deltas.append(sum(ub[i].counts.errors for i in idx) / units - sum(ua[i].counts.errors for i in idx) / units)
    observed = result.differences["form_error"].delta
    expected_p = (1 + sum(abs(d - np.mean(deltas)) >= abs(observed) for d in deltas)) / 301
    low, high = np.quantile(deltas, [0.05, 0.95])
    diff = result.differences["form_error"]
    assert diff.ci.low == pytest.approx(low, abs=1e-12) and diff.ci.high == pytest.approx(high, abs=1e-12)
    assert diff.p_value == pytest.approx(expected_p)


def test_identical_systems_have_p_one_and_no_winner(counting) -> None:
    ids, refs, tags = references(50, seed=1)
    a = system(refs, 0.2, seed=2)
    for test in ("bootstrap", "ar"):
        result = compare(refs, a, list(a), model=counting, ids=ids, tags=tags, test=test, bootstrap=200)
        assert set(result.differences) == {"saer", "form_error", "semantic_error"}
        assert all(d.delta == 0 and d.p_value == 1.0 for d in result.differences.values())
        assert result.better is None and not result.significant
        assert "have the same SAER" in result.summary()


def test_systems_keep_their_own_intervals(counting) -> None:
    ids, refs, tags = references(80, seed=2)
    a, b = system(refs, 0.1, seed=3), system(refs, 0.2, seed=4)
    result = compare(refs, a, b, model=counting, ids=ids, tags=tags, bootstrap=300, seed=8)
    alone = add_intervals(compute_saer(refs, b, ids, SAERConfig(model="counting@test"), tags, backend=counting), 300, 8)
    assert result.b.ci == alone.ci and result.b.per_tag["es-en"].ci == alone.per_tag["es-en"].ci


def test_result_dict(counting) -> None:
    ids, refs, tags = references(40, seed=3)
    result = compare(
        refs,
        system(refs, 0.1, 1),
        system(refs, 0.3, 2),
        model=counting,
        ids=ids,
        tags=tags,
        bootstrap=100,
        names=("base.txt", "new.txt"),
    )
    doc = result.to_dict()
    assert {
        "test",
        "level",
        "resamples",
        "seed",
        "a",
        "b",
        "difference",
        "per_tag",
        "better",
        "significant",
        "signature",
    } <= set(doc)
    assert doc["a"]["name"] == "base.txt" and set(doc["a"]["ci"]["saer"]) == {
        "level",
        "low",
        "high",
        "resamples",
        "seed",
    }
    saer_diff = doc["difference"]["saer"]
    assert saer_diff["delta"] == pytest.approx(saer_diff["b"] - saer_diff["a"])
    assert {"a", "b", "delta", "ci", "p_value"} == set(saer_diff)
    assert set(doc["per_tag"]["ko-en"]) == {"saer", "form_error", "semantic_error"}
    assert "A base.txt: SAER" in result.summary()


def test_mismatched_inputs_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="2 references but 1 hypotheses of system B"):
        compare(["a", "b"], ["a", "b"], ["a"], lam=1)
    with pytest.raises(ConfigError, match="unknown test"):
        compare(["a"], ["a"], ["b"], lam=1, test="t-test")
    a = compute_saer(["a b", "c"], ["a", "c"], ids=["u1", "u2"], config=SAERConfig(lam=1))
    b = compute_saer(["a b", "c"], ["a", "c"], ids=["u1", "u3"], config=SAERConfig(lam=1))
    with pytest.raises(ConfigError, match="cover different utterances"):
        compare_results(a, b)
    c = compute_saer(["a b", "c"], ["a", "c"], ids=["u1", "u2"], config=SAERConfig(lam=1, units=UnitOptions("word")))
    with pytest.raises(ConfigError, match="different settings"):
        compare_results(a, c)
