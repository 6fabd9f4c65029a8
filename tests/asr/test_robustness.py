"""Robustness table: every condition folder decoded, scored like the clean test set, one table and chart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from cstoolkit.asr.robustness import TABLE_JSON, TABLE_PNG, TABLE_TSV, condition_dirs, evaluate_conditions
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


def fake_decoder(calls: list[str]):
    """Reads the condition's own transcripts back, dropping the last word except on clean audio."""

    def decode(data_dir: Path, out_dir: Path) -> None:
        calls.append(data_dir.name)
        out_dir.mkdir(parents=True, exist_ok=True)
        text = read_kaldi_file(data_dir / "text")
        keep = (lambda t: t) if data_dir.name == "clean" else (lambda t: t.rsplit(" ", 1)[0])
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
    calls.clear()
    evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy")
    assert calls == []  # scored earlier with the same decoder and settings: kept
    evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy", {"beam_size": 4})
    assert calls == ["clean", "white_10db", "speed_1.1"]  # other settings (or another model): decoded again
    calls.clear()
    evaluate_conditions(found, tmp_path / "rob", fake_decoder(calls), METRIC, "toy", {"beam_size": 4})
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
