"""scripts/bench_scale.py: the growth exponent, the corpus sizes of each scale, the verdict per stage, and a run at a
toy scale with two cheap stages (prepare, SAER of the train transcripts) whose table and files agree."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench_scale.py"
BASE = {  # conf/data/mini.yaml, data.mini.generated
    "train_sentences": 260,
    "shared_sentences": 40,
    "shared_readings": 2,
    "dev_sentences": 10,
    "test_sentences": 20,
    "test_novel_sentences": 10,
}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("power", [0.0, 0.5, 1.0, 1.15, 2.0])
def test_growth_exponent_recovers_a_power_law(bench, power: float) -> None:
    sizes = [0.5, 1.0, 4.0, 16.0]
    assert bench.growth_exponent(sizes, [3.0 * x**power for x in sizes]) == pytest.approx(power, abs=1e-9)


def test_growth_exponent_is_a_least_squares_slope(bench) -> None:
    # in units of log 2, the points (0, 0), (1, 2), (2, 3), (3, 4): least squares 6.5 / 5 = 1.3 (endpoints: 4/3)
    assert bench.growth_exponent([1, 2, 4, 8], [1, 4, 8, 16]) == pytest.approx(1.3, abs=1e-9)
    assert bench.growth_exponent([4], [10]) is None
    assert bench.growth_exponent([1, 4], [0.0, 5.0]) is None  # a zero cost has no logarithm: one point left
    assert bench.growth_exponent([1, 1, 4], [2, 2, 8]) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("scale", [0.25, 1.0, 4.0, 16.0])
def test_a_scale_multiplies_the_utterances_of_every_pair(bench, scale: float) -> None:
    counts = bench.scale_counts(BASE, scale, voices=40)
    utts = counts["train_sentences"] - counts["shared_sentences"] * (1 - counts["shared_readings"])
    assert utts == pytest.approx(scale * 300, rel=0.01)
    assert 0 <= counts["shared_sentences"] <= counts["train_sentences"] and counts["shared_readings"] <= 40
    grow = scale if scale <= 1 else scale ** (1 / 3)  # distinct sentences: x s below 1x, x s^(1/3) above
    for key in ("train_sentences", "dev_sentences", "test_sentences", "test_novel_sentences"):
        assert counts[key] == max(1, round(BASE[key] * grow))
    if scale == 1.0:
        assert counts == BASE


def test_a_scale_needing_more_readings_than_voices_is_refused(bench) -> None:
    with pytest.raises(SystemExit, match="readings"):
        bench.scale_counts(BASE, 16.0, voices=4)


def test_the_tiny_models_are_those_of_the_gpu_check(bench) -> None:
    tree = ast.parse((ROOT / "scripts" / "gpu_check.py").read_text())
    assigned = {getattr(n.targets[0], "id", ""): n.value for n in tree.body if isinstance(n, ast.Assign)}
    models = assigned["MODELS"]
    assert ast.literal_eval(models)["tiny"] == bench.TINY_MODELS


def test_a_scale_that_would_not_fit_the_disk_is_refused(bench, tmp_path: Path) -> None:
    assert bench.disk_needed_mb({}, 4.0) is None
    assert bench.disk_needed_mb({"1x": 1000.0, "4x": 4100.0}, 16.0) == pytest.approx(16400.0)
    bench.check_disk(tmp_path, None, 16.0)
    bench.check_disk(tmp_path, 1.0, 16.0)
    with pytest.raises(SystemExit, match="16x needs about"):
        bench.check_disk(tmp_path, 1e12, 16.0)


def measure(bench, stage: str, scale: float, hours: float, work: float, rss: float, per_utt: bool = False):
    unit, units = ("utt", 20) if per_utt else ("h", hours)
    return bench.Measure(stage, scale, hours, units, unit, 100, work + 2.0, 2.0, rss)


def test_a_stage_growing_faster_than_linear_is_flagged(bench) -> None:
    measures = []
    for scale in (1, 4, 16):
        hours = 3.4 * scale
        measures += [
            measure(bench, "features", scale, hours, 10 * hours, 700),
            measure(bench, "train-asr", scale, hours, 10 * hours**1.5, 1000),
            measure(bench, "tokenize", scale, hours, 5 * hours, 800 + 100 * hours),
            measure(bench, "synthesize", scale, hours, 40.0, 900, per_utt=True),
        ]
    growth = {g["stage"]: g for g in bench.exponents(measures)}
    assert list(growth) == ["features", "train-asr", "tokenize", "synthesize"]  # recipe order
    assert growth["features"]["time"] == pytest.approx(1.0, abs=1e-9) and growth["features"]["linear"] is True
    assert growth["train-asr"]["time"] == pytest.approx(1.5, abs=1e-9) and growth["train-asr"]["linear"] is False
    assert growth["train-asr"]["time_last"] == pytest.approx(1.5, abs=1e-9)
    assert growth["tokenize"]["rss_mb_per_h"] == pytest.approx(100.0, abs=1e-6)
    assert growth["synthesize"]["time"] == pytest.approx(0.0, abs=1e-9)  # per utterance: flat
    table = bench.markdown(measures, list(growth.values()), "header")
    assert "| train-asr | 1.50 | 1.50 |" in table and "**no** (> 1.15)" in table
    assert "| synthesize | 16x | 54.400 | 100 | 42.0 | 2.10 per utt |" in table


def test_a_toy_run_writes_tables_whose_exponents_match_its_measurements(bench, tmp_path: Path) -> None:
    """Two invocations (the second adds a scale to the first's results) of two cheap stages each."""
    out = tmp_path / "out"
    common = ["--stages", "saer-train", "--nj", "1", "--threads", "1", "--out-dir", str(out), "--same-speed", "100"]
    common += ["--work-dir", str(tmp_path / "work"), "data.mini.pairs=[zh-en]", "metric.lam=1", "metric.bootstrap=0"]
    for scale in ("0.03", "0.06"):
        cmd = [sys.executable, str(SCRIPT), "--scales", scale, *common]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[bench_scale] 0.06x saer-train:" in proc.stderr
    doc = json.loads((out / "results.json").read_text())
    assert sorted((m["stage"], m["scale"]) for m in doc["measures"]) == [
        (stage, scale) for stage in ("prepare", "saer-train") for scale in (0.03, 0.06)
    ]
    for m in doc["measures"]:
        assert m["hours"] > 0 and m["rss_mb"] > 50 and 0 < m["import_s"] <= m["wall_s"]
        assert m["work_s"] == pytest.approx(m["wall_s"] - m["import_s"], abs=1e-9)
    assert [g["stage"] for g in doc["growth"]] == ["prepare", "saer-train"]
    for g in doc["growth"]:
        ms = sorted((m for m in doc["measures"] if m["stage"] == g["stage"]), key=lambda m: m["scale"])
        small, large = ms
        expected = math.log(large["work_s"] / small["work_s"]) / math.log(large["hours"] / small["hours"])
        assert g["time"] == pytest.approx(expected, abs=1e-9)
        assert f"| {g['stage']} | {g['time']:.2f} |" in proc.stdout
    assert (out / "table.md").read_text() == proc.stdout.rstrip("\n") + "\n"
    assert (out / "growth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results_tsv = [line.split("\t") for line in (out / "results.tsv").read_text().splitlines()]
    assert results_tsv[0][:3] == ["stage", "scale", "hours"] and len(results_tsv) == 5
    assert {(row[0], float(row[1])) for row in results_tsv[1:]} == {(m["stage"], m["scale"]) for m in doc["measures"]}
    growth_tsv = [line.split("\t") for line in (out / "growth.tsv").read_text().splitlines()]
    assert [row[0] for row in growth_tsv] == ["stage", "prepare", "saer-train"]
    assert [float(row[2]) for row in growth_tsv[1:]] == pytest.approx([g["time"] for g in doc["growth"]], rel=1e-5)
    assert not (tmp_path / "work" / "scale_0.06x").exists()  # removed without --keep


def test_earlier_results_of_a_machine_of_another_speed_are_not_joined(bench, tmp_path: Path, capsys) -> None:
    """Scales measured at different machine speeds would fit together as a false growth exponent."""
    settings = {"machine": "x", "nj": 1, "threads": 1}
    m = bench.Measure("prepare", 1.0, 1.0, 1.0, "h", 10, 10.0, 1.0, 100.0, 9.0, probe_s=0.20)
    bench.save(tmp_path, settings, [m], {"1x": 5.0})
    assert bench.load_earlier(tmp_path, settings, 0.22) == ([m], {"1x": 5.0})  # within 25%
    assert bench.load_earlier(tmp_path, settings, 0.30) == ([], {})
    assert "another speed" in capsys.readouterr().err
    bench.save(tmp_path, settings, [bench.Measure("prepare", 1.0, 1.0, 1.0, "h", 10, 10.0, 1.0, 100.0)], {})
    assert bench.load_earlier(tmp_path, settings, 0.20) == ([], {})  # no probe recorded: not joined
    assert bench.speed_probe(repeats=1) > 0
