"""Scoring folders the way the recipe does (``cstk score``, ``cstoolkit.metrics.scoring``): every saer.json carries
bootstrap intervals by default (``metric.bootstrap``), the reports show them, and a bad setting is one line."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from saer_corpora import corrupt, references

from cstoolkit.cli.cstk import main
from cstoolkit.errors import ConfigError
from cstoolkit.metrics.api import saer
from cstoolkit.metrics.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, add_intervals
from cstoolkit.metrics.plots import error_bars
from cstoolkit.metrics.report import render_html
from cstoolkit.metrics.scoring import REPORT_TSV, Resampling, resampling_from_mapping


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    """ref/hyp/utt2lang files of 40 code-switched utterances with about 20% errors."""
    import numpy as np

    ids, refs, tags = references(40, seed=3)
    rng = np.random.default_rng(4)
    paths = {name: tmp_path / name for name in ("ref", "hyp", "utt2lang")}
    paths["ref"].write_text("".join(f"{u} {t}\n" for u, t in zip(ids, refs)), encoding="utf-8")
    paths["hyp"].write_text("".join(f"{u} {corrupt(t, 0.2, rng)}\n" for u, t in zip(ids, refs)), encoding="utf-8")
    paths["utt2lang"].write_text("".join(f"{u} {tags[u]}\n" for u in ids), encoding="utf-8")
    return paths


def score(corpus: dict[str, Path], out: Path, *overrides: str) -> int:
    argv = ["score", "--ref", corpus["ref"], "--hyp", corpus["hyp"], "--utt2lang", corpus["utt2lang"]]
    return main([str(a) for a in [*argv, "--out-dir", out, "metric.lam=1", *overrides]])


def test_resampling_settings_from_the_metric_group() -> None:
    assert resampling_from_mapping({}) == Resampling(DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_LEVEL)
    assert resampling_from_mapping({"bootstrap": 200, "seed": 0, "ci_level": 0.9}) == Resampling(200, 0, 0.9)
    assert not resampling_from_mapping({"bootstrap": 0}).enabled


@pytest.mark.parametrize(
    "metric, needle",
    [
        ({"bootstrap": -1}, "metric.bootstrap=-1"),
        ({"bootstrap": 1.5}, "metric.bootstrap=1.5"),
        ({"bootstrap": "many"}, "metric.bootstrap='many'"),
        ({"bootstrap": True}, "metric.bootstrap=True"),
        ({"seed": -3}, "metric.seed=-3"),
        ({"ci_level": 1.0}, "metric.ci_level=1.0"),
        ({"ci_level": 0}, "metric.ci_level=0"),
        ({"ci_level": None}, "metric.ci_level=None"),
    ],
)
def test_bad_resampling_settings_are_config_errors(metric, needle) -> None:
    with pytest.raises(ConfigError, match="bad configuration value") as err:
        resampling_from_mapping(metric)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_saer_json_carries_intervals_by_default(corpus, tmp_path, caplog) -> None:
    with caplog.at_level(logging.INFO):
        assert score(corpus, tmp_path / "out") == 0
    doc = json.loads((tmp_path / "out" / "saer.json").read_text())
    for figure in ("saer", "form_error"):
        ci = doc["ci"][figure]
        assert ci["low"] <= doc[figure] <= ci["high"]
        assert (ci["resamples"], ci["seed"], ci["level"]) == (DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_LEVEL)
    assert all("ci" in group for group in doc["per_tag"].values())
    assert all("error_rate" in counts["ci"] for counts in doc["per_script"].values())
    low, high = doc["ci"]["saer"]["low"], doc["ci"]["saer"]["high"]
    assert f"SAER {doc['saer']:.4f} [{low:.4f}, {high:.4f}]" in caplog.text  # the printed summary
    page = (tmp_path / "out" / "report.html").read_text()
    assert f"[{low:.4f}, {high:.4f}]" in page and "95% percentile-bootstrap intervals" in page
    assert (tmp_path / "out" / "breakdown.png").stat().st_size > 1000


def test_no_intervals_with_bootstrap_zero_and_the_same_tsv(corpus, tmp_path) -> None:
    assert score(corpus, tmp_path / "ci") == 0
    assert score(corpus, tmp_path / "none", "metric.bootstrap=0") == 0
    doc = json.loads((tmp_path / "none" / "saer.json").read_text())
    assert "ci" not in doc and all("ci" not in group for group in doc["per_tag"].values())
    page = (tmp_path / "none" / "report.html").read_text()
    assert "class=ci" not in page and "bootstrap" not in page
    # the per-utterance table does not change with the intervals
    assert (tmp_path / "ci" / REPORT_TSV).read_text() == (tmp_path / "none" / REPORT_TSV).read_text()
    with_ci = json.loads((tmp_path / "ci" / "saer.json").read_text())
    assert with_ci["saer"] == doc["saer"]


def test_resampling_settings_reach_saer_json(corpus, tmp_path) -> None:
    assert score(corpus, tmp_path / "out", "metric.bootstrap=200", "metric.seed=7", "metric.ci_level=0.9") == 0
    ci = json.loads((tmp_path / "out" / "saer.json").read_text())["ci"]["saer"]
    assert (ci["resamples"], ci["seed"], ci["level"]) == (200, 7, 0.9)


@pytest.mark.parametrize(
    "override, needle",
    [
        ("metric.bootstrap=-5", "metric.bootstrap=-5"),
        ("metric.bootstrap=lots", "metric.bootstrap='lots'"),
        ("metric.ci_level=95", "metric.ci_level=95"),
        ("metric.seed=-1", "metric.seed=-1"),
    ],
)
def test_bad_setting_is_one_line_and_nothing_written(corpus, tmp_path, capsys, override, needle) -> None:
    assert score(corpus, tmp_path / "out", override) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out" / "saer.json").exists()


def test_html_and_plot_show_script_and_tag_intervals(tmp_path) -> None:
    refs = ["我今天去 shopping mall", "明日の meeting", "vamos al mall", "我 去 mall"]
    hyps = ["我今天去 shopping", "明日の miting", "vamos al mall", "我 去 mall"]
    tags = {"1": "zh-en", "2": "ja-en", "3": "es-en", "4": "zh-en"}
    result = add_intervals(saer(refs, hyps, lam=1, tags=tags), 100)
    page = render_html(result)
    for interval in (*result.per_script_ci.values(), *(g.ci["saer"] for g in result.per_tag.values())):
        assert interval.format() in page
    tag = result.per_tag["zh-en"]
    below, above = error_bars([tag.saer], [tag.ci["saer"]])
    assert below[0] == pytest.approx(tag.saer - tag.ci["saer"].low) and above[0] >= 0
    assert error_bars([0.1, 0.2], [None, None]) is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("metric.lam=abc", "metric.lam='abc': expected a number >= 0 and <= 1"),
        ("metric.lam=1.5", "metric.lam=1.5"),
        ("metric.jobs=0", "metric.jobs=0: expected a whole number >= 1"),
        ("metric.units=bytes", "metric.units='bytes'"),
        ("metric.normalize=maybe", "metric.normalize='maybe'"),
    ],
)
def test_a_bad_scoring_setting_is_one_line_naming_the_key(override, message):
    from cstoolkit.config import load_config
    from cstoolkit.metrics.scoring import config_from_mapping

    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        config_from_mapping(load_config([override]).metric)
    assert "\n" not in str(err.value)
