"""Robustness table: every condition folder decoded, scored like the clean test set, one table and chart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from cstoolkit.asr.robustness import (
    TABLE_JSON,
    TABLE_PNG,
    TABLE_TSV,
    TSV_COLUMNS,
    VERSUS_FILE,
    condition_dirs,
    evaluate_conditions,
)
from cstoolkit.data.corrupt import corrupt_all
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import ConfigError, InputFileError

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from data_helpers import make_data_dir

METRIC = OmegaConf.create({"lam": 1.0, "model": "use-multilingual", "units": "mixed", "jobs": 1})


@pytest.fixture(scope="module")
def conditions(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("robust")
    data = make_data_dir(root)
    corrupt_all(data, ["clean", "white_10db", "speed_1.1"], root / "conditions", seed=1, num_jobs=1)
    return root / "conditions"


def fake_decoder(calls: list[str], intact: tuple[str, ...] = ("clean",)):
    """Reads the condition's own transcripts back, dropping the last word except on ``intact`` conditions."""

    def decode(data_dir: Path, out_dir: Path) -> None:
        calls.append(data_dir.name)
        out_dir.mkdir(parents=True, exist_ok=True)
        text = read_kaldi_file(data_dir / "text")
        keep = (lambda t: t) if data_dir.name in intact else (lambda t: t.rsplit(" ", 1)[0])
        (out_dir / "hyp.txt").write_text("".join(f"{u} {keep(t)}\n" for u, t in sorted(text.items())))

    return decode


def test_table_of_every_condition(conditions, tmp_path) -> None:
    calls: list[str] = []
    found = condition_dirs(conditions)
    assert list(found) == ["clean", "white_10db", "speed_1.1"]  # registry order
    rows = evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy")
    assert calls == ["clean", "white_10db", "speed_1.1"]
    mer = {r["condition"]: r["mer"] for r in rows}
    # "你好 hello s u": 2 characters + 3 words = 5 units; the last word dropped -> 1/5
    assert mer == {"clean": 0.0, "white_10db": pytest.approx(0.2), "speed_1.1": pytest.approx(0.2)}
    assert rows[1]["per_tag_mer"] == {"zh-en": pytest.approx(0.2)}
    for name in ("clean", "white_10db", "speed_1.1"):
        assert (tmp_path / "rob" / name / "saer.json").is_file()
    doc = json.loads((tmp_path / "rob" / TABLE_JSON).read_text())
    assert doc["system"] == "toy" and [r["condition"] for r in doc["conditions"]] == list(mer)
    assert (tmp_path / "rob" / TABLE_TSV).read_text().splitlines()[2].startswith("white_10db\t0.2000\t")
    assert (tmp_path / "rob" / TABLE_PNG).stat().st_size > 1000
    # every condition with its interval; every other one with its paired difference to clean
    assert doc["baseline"] == "clean" and doc["bootstrap"] == {"resamples": 1000, "seed": 12345, "level": 0.95}
    for row in rows:
        for figure in ("mer", "saer"):
            ci = row["ci"][figure]
            assert ci["low"] <= row[figure] <= ci["high"] and ci["resamples"] == 1000
    assert rows[0]["vs_clean"] is None
    # each utterance loses 1 of its 5 units: every resample differs from clean by exactly 0.2
    diff = rows[1]["vs_clean"]["mer"]
    assert diff["a"] == 0.0 and diff["delta"] == pytest.approx(0.2) and diff["b"] == pytest.approx(0.2)
    assert diff["ci"]["low"] == pytest.approx(0.2) == pytest.approx(diff["ci"]["high"])
    assert diff["p_value"] == pytest.approx(1 / 1001) and diff["significant"]
    assert rows[1]["vs_clean"]["saer"]["significant"] and rows[1]["vs_clean"]["baseline"] == "clean"
    assert (tmp_path / "rob" / "white_10db" / VERSUS_FILE).is_file()
    lines = [line.split("\t") for line in (tmp_path / "rob" / TABLE_TSV).read_text().splitlines()]
    assert tuple(lines[0]) == TSV_COLUMNS and all(len(line) == len(TSV_COLUMNS) for line in lines)
    white = dict(zip(lines[0], lines[2]))
    assert (white["mer_low"], white["mer_high"], white["delta_mer"]) == ("0.2000", "0.2000", "0.2000")
    assert (white["p_mer"], white["significant_mer"], white["significant_saer"]) == ("0.0010", "yes", "yes")
    clean = dict(zip(lines[0], lines[1]))
    assert clean["mer_low"] == "0.0000" and clean["delta_mer"] == clean["p_mer"] == ""
    calls.clear()
    evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy")
    assert calls == []  # scored earlier with the same decoder and settings: kept
    evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy", {"beam_size": 4})
    assert calls == ["clean", "white_10db", "speed_1.1"]  # other settings (or another model): decoded again
    calls.clear()
    evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy", {"beam_size": 4})
    assert calls == []


def test_a_condition_like_clean_does_not_differ_and_kept_comparisons_are_not_scored_again(
    conditions, tmp_path, monkeypatch
) -> None:
    found = condition_dirs(conditions)
    calls: list[str] = []
    rows = evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls, ("clean", "speed_1.1")), METRIC, "toy")
    same = rows[2]["vs_clean"]
    for figure in ("mer", "saer"):
        assert same[figure]["delta"] == 0.0 and same[figure]["p_value"] == 1.0 and not same[figure]["significant"]
    assert rows[1]["vs_clean"]["mer"]["significant"]
    import cstoolkit.asr.score

    def no_scoring(*args, **kwargs):
        raise AssertionError("a kept condition with a kept comparison must not be scored again")

    monkeypatch.setattr(cstoolkit.asr.score, "score_folder", no_scoring)
    again = evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls, ("clean", "speed_1.1")), METRIC, "toy")
    assert calls == ["clean", "white_10db", "speed_1.1"] and again == rows
    monkeypatch.undo()
    # other bootstrap settings are other scoring settings: decoded and scored again
    other = OmegaConf.merge(METRIC, {"bootstrap": 200, "seed": 1})
    rows = evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls, ("clean", "speed_1.1")), other, "toy")
    assert calls[3:] == ["clean", "white_10db", "speed_1.1"]
    assert rows[1]["ci"]["mer"]["resamples"] == 200 and rows[1]["vs_clean"]["resamples"] == 200


def test_no_intervals_with_bootstrap_zero_and_no_differences_without_clean(conditions, tmp_path) -> None:
    found = condition_dirs(conditions)
    metric = OmegaConf.merge(METRIC, {"bootstrap": 0})
    rows = evaluate_conditions(found, tmp_path / "none", fake_decoder([]), metric, "toy")
    assert all(row["ci"] is None and row["vs_clean"] is None for row in rows)
    assert "ci" not in json.loads((tmp_path / "none" / "white_10db" / "saer.json").read_text())
    doc = json.loads((tmp_path / "none" / TABLE_JSON).read_text())
    assert doc["bootstrap"] is None and doc["baseline"] is None
    white = dict(zip(TSV_COLUMNS, (tmp_path / "none" / TABLE_TSV).read_text().splitlines()[2].split("\t")))
    assert white["mer"] == "0.2000" and white["mer_low"] == white["delta_mer"] == ""
    alone = condition_dirs(conditions, ["white_10db"])
    rows = evaluate_conditions(alone, tmp_path / "alone", fake_decoder([]), METRIC, "toy")
    assert rows[0]["ci"]["mer"] and rows[0]["vs_clean"] is None


def test_a_bad_bootstrap_setting_fails_before_decoding(conditions, tmp_path) -> None:
    calls: list[str] = []
    metric = OmegaConf.merge(METRIC, {"bootstrap": -1})
    with pytest.raises(ConfigError, match=r"metric\.bootstrap=-1"):
        evaluate_conditions(condition_dirs(conditions), tmp_path / "rob", fake_decoder(calls), metric, "toy")
    assert calls == []


def test_bad_condition_folders(conditions, tmp_path) -> None:
    with pytest.raises(InputFileError, match="cstk corrupt"):
        condition_dirs(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="no finished condition"):
        condition_dirs(tmp_path / "empty")
    with pytest.raises(ConfigError, match="unknown condition 'loud'"):
        condition_dirs(conditions, ["loud"])
    with pytest.raises(InputFileError, match="reverb: missing or unfinished"):
        condition_dirs(conditions, ["clean", "reverb"])
