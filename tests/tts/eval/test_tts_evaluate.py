"""How synthesis folders are judged, on hand-made numbers: speaker similarity (own speaker's centroid without the
utterance itself, the share closer to the own speaker, per speaker), the comparison table, refused inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cstoolkit.errors import InputFileError
from cstoolkit.tts.eval.evaluate import real_embeddings, similarity, speaker_centroids, summary_row, write_summary


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return v / np.linalg.norm(v)


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


#: real d-vectors of the reference directory: A (3 utterances), B (2), C (2)
REAL = {
    "a1": unit(1, 0, 0),
    "a2": unit(0.9, 0.1, 0.4),
    "a3": unit(0.7, 0.3, 0.6),
    "b1": unit(0.1, 1, 0),
    "b2": unit(0.3, 0.9, 0.1),
    "c1": unit(0, 0.2, 1),
    "c2": unit(0.1, 0.1, 1),
}
UTT2SPK = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C", "x1": "X"}


def test_speaker_centroids_sum_the_real_embeddings() -> None:
    sums = speaker_centroids(REAL, UTT2SPK)
    assert set(sums) == {"A", "B", "C"}
    np.testing.assert_allclose(sums["A"], REAL["a1"] + REAL["a2"] + REAL["a3"])
    np.testing.assert_allclose(sums["C"], REAL["c1"] + REAL["c2"])


def test_the_own_speaker_centroid_leaves_the_utterance_itself_out() -> None:
    out = {"a1": REAL["a1"].copy()}  # a perfect copy of the real a1: with a1 in the centroid it would look closer
    row = similarity(out, REAL, UTT2SPK)["per_utterance"]["a1"]
    own = cos(out["a1"], REAL["a2"] + REAL["a3"])
    assert row["own"] == pytest.approx(own, abs=1e-5)
    assert abs(own - cos(out["a1"], REAL["a1"] + REAL["a2"] + REAL["a3"])) > 1e-2  # the test can tell them apart
    assert row["others"] == pytest.approx(
        {"B": cos(out["a1"], REAL["b1"] + REAL["b2"]), "C": cos(out["a1"], REAL["c1"] + REAL["c2"])}, abs=1e-5
    )
    assert row["speaker"] == "A" and row["closer_to_own"] is True
    others = similarity({"a1": REAL["a1"].copy()}, REAL, {**UTT2SPK, "a1": "B"})["per_utterance"]["a1"]
    assert others["own"] == pytest.approx(cos(REAL["a1"], REAL["b1"] + REAL["b2"]), abs=1e-5)  # a1 is not B's


def test_the_share_closer_to_the_own_speaker_overall_and_per_speaker() -> None:
    outputs = {
        "a1": unit(0.9, 0.1, 0.3),  # A-like: closer to own
        "a2": unit(0.2, 1, 0.05),  # sounds like B: not closer to own
        "a3": unit(0.8, 0.2, 0.5),  # A-like
        "b1": unit(0.2, 1, 0),  # B-like
        "c1": unit(0.9, 0.1, 0.2),  # sounds like A: not closer to own
        "x1": unit(1, 1, 1),  # speaker X has no real audio: left out
        "z9": unit(1, 0, 0),  # not in utt2spk: left out
    }
    result = similarity(outputs, REAL, UTT2SPK)
    rows = result["per_utterance"]
    assert sorted(rows) == ["a1", "a2", "a3", "b1", "c1"]
    closer = {utt: row["closer_to_own"] for utt, row in rows.items()}
    assert closer == {"a1": True, "a2": False, "a3": True, "b1": True, "c1": False}
    for row in rows.values():  # closer_to_own is own > every other speaker
        assert row["closer_to_own"] == (row["own"] > max(row["others"].values()))
    assert result["utterances"] == 5 and result["closer_to_own"] == pytest.approx(3 / 5)
    assert result["own_mean"] == pytest.approx(np.mean([r["own"] for r in rows.values()]), abs=1e-5)
    other = np.mean([np.mean(list(r["others"].values())) for r in rows.values()])
    assert result["other_mean"] == pytest.approx(other, abs=1e-5)
    per = result["per_speaker"]
    assert sorted(per) == ["A", "B", "C"]
    assert per["A"]["utterances"] == 3 and per["A"]["closer_to_own"] == pytest.approx(2 / 3, abs=1e-5)
    assert per["B"] == {
        "utterances": 1,
        "own_mean": rows["b1"]["own"],
        "other_mean": pytest.approx(np.mean(list(rows["b1"]["others"].values())), abs=1e-5),
        "closer_to_own": 1.0,
    }
    assert per["C"]["closer_to_own"] == 0.0


def test_one_reference_speaker_or_no_output() -> None:
    real = {k: v for k, v in REAL.items() if k.startswith("a")}
    result = similarity({"a2": unit(0, 1, 0)}, real, UTT2SPK)
    assert result["per_utterance"]["a2"]["others"] == {} and result["closer_to_own"] == 1.0
    assert result["other_mean"] is None
    assert similarity({}, REAL, UTT2SPK) == {"utterances": 0, "per_utterance": {}}
    assert similarity({"z9": unit(1, 0, 0)}, REAL, UTT2SPK) == {"utterances": 0, "per_utterance": {}}


def test_the_comparison_table_of_judged_folders(tmp_path) -> None:
    rows = []
    systems = (("copy", "copy synthesis", 0.1, 0.11, 0.61), ("resynth", "resynthesis", 0.25, 0.3, None))
    for name, kind, mer, saer_value, sim_other in systems:
        folder = tmp_path / name
        folder.mkdir()
        saer = {
            "utterances": 4,
            "form_error": mer,
            "saer": saer_value,
            "semantic_error": 0.05,
            "per_tag": {"en": {"form_error": mer / 2}, **({"zh": {"form_error": 0.3}} if name == "copy" else {})},
        }
        (folder / "saer.json").write_text(json.dumps(saer))
        sim = {"own_mean": 0.8, "other_mean": sim_other, "closer_to_own": 0.75}
        (folder / "similarity.json").write_text(json.dumps(sim))
        (folder / "synthesis.json").write_text(json.dumps({"kind": kind, "rtf": 0.5}))
        rows.append(summary_row(folder))
    assert rows[0] == {
        "system": "copy",
        "kind": "copy synthesis",
        "utterances": 4,
        "mer": 0.1,
        "saer": 0.11,
        "e_sem": 0.05,
        "similarity_own": 0.8,
        "similarity_other": 0.61,
        "closer_to_own": 0.75,
        "rtf": 0.5,
        "per_tag_mer": {"en": 0.05, "zh": 0.3},
    }
    write_summary(rows, tmp_path / "table.json")
    assert json.loads((tmp_path / "table.json").read_text()) == rows
    header, *lines = (tmp_path / "table.tsv").read_text().splitlines()
    assert header.split("\t")[-2:] == ["mer_en", "mer_zh"] and len(lines) == 2
    cells = dict(zip(header.split("\t"), lines[1].split("\t"), strict=True))
    assert cells["system"] == "resynth" and cells["mer"] == "0.2500" and cells["similarity_other"] == "-"
    assert cells["mer_zh"] == "-" and cells["utterances"] == "4"


def test_missing_inputs_are_one_input_file_error(tmp_path) -> None:
    from cstoolkit.tts.eval.evaluate import evaluate_synthesis

    with pytest.raises(InputFileError, match=r"utt_embed\.scp: missing: run cstk embed-speakers"):
        real_embeddings(tmp_path)
    with pytest.raises(InputFileError, match=r"synthesis\.json: missing: not a finished synthesis folder"):
        evaluate_synthesis(tmp_path, tmp_path, None, None, None)
