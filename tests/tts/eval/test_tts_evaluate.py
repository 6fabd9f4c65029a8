"""How synthesis folders are judged, on hand-made numbers: speaker similarity (own speaker's centroid without the
utterance itself; does the own speaker rank first among all N speakers of the reference directory, the margin to the
best other one, per speaker), the comparison table, refused inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cstoolkit.errors import InputFileError
from cstoolkit.tts.eval.evaluate import (
    real_embeddings,
    similarity,
    similarity_summary,
    speaker_centroids,
    summary_row,
    write_summary,
)


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
    assert row["speaker"] == "A" and row["own_first"] is True and row["rank"] == 1
    assert row["margin"] == pytest.approx(row["own"] - max(row["others"].values()), abs=1e-5) and row["margin"] > 0
    others = similarity({"a1": REAL["a1"].copy()}, REAL, {**UTT2SPK, "a1": "B"})["per_utterance"]["a1"]
    assert others["own"] == pytest.approx(cos(REAL["a1"], REAL["b1"] + REAL["b2"]), abs=1e-5)  # a1 is not B's


def test_own_speaker_first_among_all_speakers_overall_and_per_speaker() -> None:
    outputs = {
        "a1": unit(0.9, 0.1, 0.3),  # A-like: own first
        "a2": unit(0.2, 1, 0.05),  # sounds like B: not first
        "a3": unit(0.8, 0.2, 0.5),  # A-like
        "b1": unit(0.2, 1, 0),  # B-like
        "c1": unit(0.9, 0.1, 0.2),  # sounds like A: not first
        "x1": unit(1, 1, 1),  # speaker X has no real audio: left out
        "z9": unit(1, 0, 0),  # not in utt2spk: left out
    }
    result = similarity(outputs, REAL, UTT2SPK)
    rows = result["per_utterance"]
    assert sorted(rows) == ["a1", "a2", "a3", "b1", "c1"]
    first = {utt: row["own_first"] for utt, row in rows.items()}
    assert first == {"a1": True, "a2": False, "a3": True, "b1": True, "c1": False}
    for row in rows.values():  # own_first: own > every other speaker; rank 1 + the others at least as close
        best = max(row["others"].values())
        assert row["own_first"] == (row["own"] > best) == (row["rank"] == 1)
        assert row["rank"] == 1 + sum(v >= row["own"] for v in row["others"].values())
        assert row["margin"] == pytest.approx(row["own"] - best, abs=1e-9)
    assert result["utterances"] == 5 and result["speakers"] == 3 and result["own_first"] == pytest.approx(3 / 5)
    assert result["own_mean"] == pytest.approx(np.mean([r["own"] for r in rows.values()]), abs=1e-5)
    best_other = np.mean([max(r["others"].values()) for r in rows.values()])
    assert result["best_other_mean"] == pytest.approx(best_other, abs=1e-5)
    assert result["margin_mean"] == pytest.approx(np.mean([r["margin"] for r in rows.values()]), abs=1e-5)
    assert "other_mean" not in result and "closer_to_own" not in result
    per = result["per_speaker"]
    assert sorted(per) == ["A", "B", "C"]
    assert per["A"]["utterances"] == 3 and per["A"]["own_first"] == pytest.approx(2 / 3, abs=1e-5)
    assert per["B"] == {
        "utterances": 1,
        "speakers": 3,
        "own_mean": rows["b1"]["own"],
        "best_other_mean": max(rows["b1"]["others"].values()),
        "margin_mean": rows["b1"]["margin"],
        "own_first": 1.0,
    }
    assert per["C"]["own_first"] == 0.0 and per["C"]["margin_mean"] < 0


#: four speakers, one real utterance each along its own axis: the cosine to a speaker is the output's coordinate
AXES = {"ra": (1, 0, 0, 0), "rb": (0, 1, 0, 0), "rc": (0, 0, 1, 0), "rd": (0, 0, 0, 1)}
AXIS_SPK = {"ra": "A", "rb": "B", "rc": "C", "rd": "D"}


def test_rank_and_margin_against_the_best_of_all_other_speakers() -> None:
    real = {u: np.asarray(v, dtype=np.float64) for u, v in AXES.items()}
    outputs = {  # new sentences (not in the reference audio): the own centroid is the speaker's real utterance
        "first": np.array([0.8, 0.6, 0.0, 0.0]),  # A 0.8, B 0.6: first of 4, margin +0.2
        "second": np.array([0.6, 0.8, 0.0, 0.0]),  # A 0.6 behind B 0.8: rank 2, margin -0.2
        "third": np.array([0.48, 0.6, 0.64, 0.0]),  # A 0.48 behind C 0.64 and B 0.6: rank 3, margin -0.16
        "tie": unit(1, 1, 0, 0),  # A and B equally close: a tie is not first
        "d_first": np.array([0.0, 0.0, 0.6, 0.8]),  # D 0.8, C 0.6: first, margin +0.2
    }
    utt2spk = {**AXIS_SPK, "first": "A", "second": "A", "third": "A", "tie": "A", "d_first": "D"}
    result = similarity(outputs, real, utt2spk)
    rows = result["per_utterance"]
    assert rows["first"] == {
        "speaker": "A",
        "own": pytest.approx(0.8),
        "others": pytest.approx({"B": 0.6, "C": 0.0, "D": 0.0}),
        "rank": 1,
        "own_first": True,
        "margin": pytest.approx(0.2),
    }
    assert rows["second"]["rank"] == 2 and rows["second"]["own_first"] is False
    assert rows["second"]["margin"] == pytest.approx(-0.2)
    assert rows["third"]["rank"] == 3 and rows["third"]["own_first"] is False
    assert rows["third"]["margin"] == pytest.approx(0.48 - 0.64)
    tie = rows["tie"]
    assert tie["own"] == tie["others"]["B"] == pytest.approx(0.70711)
    assert tie["rank"] == 2 and tie["own_first"] is False and tie["margin"] == 0
    assert rows["d_first"]["rank"] == 1 and rows["d_first"]["margin"] == pytest.approx(0.2)
    assert result["utterances"] == 5 and result["speakers"] == 4
    assert result["own_first"] == pytest.approx(2 / 5)
    assert result["own_mean"] == pytest.approx(np.mean([0.8, 0.6, 0.48, 0.70711, 0.8]), abs=1e-5)
    assert result["best_other_mean"] == pytest.approx(np.mean([0.6, 0.8, 0.64, 0.70711, 0.6]), abs=1e-5)
    assert result["margin_mean"] == pytest.approx(np.mean([0.2, -0.2, -0.16, 0.0, 0.2]), abs=1e-5)
    assert result["per_speaker"]["A"] == {
        "utterances": 4,
        "speakers": 4,
        "own_mean": pytest.approx(np.mean([0.8, 0.6, 0.48, 0.70711]), abs=1e-5),
        "best_other_mean": pytest.approx(np.mean([0.6, 0.8, 0.64, 0.70711]), abs=1e-5),
        "margin_mean": pytest.approx(np.mean([0.2, -0.2, -0.16, 0.0]), abs=1e-5),
        "own_first": 0.25,
    }
    assert result["per_speaker"]["D"]["own_first"] == 1.0
    assert result["per_speaker"]["D"]["margin_mean"] == pytest.approx(0.2)
    line = similarity_summary(result)
    assert line == "speaker similarity to own 0.677; own speaker first among 4 for 40.0% (margin +0.008)", line


def test_one_reference_speaker_or_no_output() -> None:
    real = {k: v for k, v in REAL.items() if k.startswith("a")}
    result = similarity({"a2": unit(0, 1, 0)}, real, UTT2SPK)
    row = result["per_utterance"]["a2"]
    assert row["others"] == {} and row["rank"] == 1 and row["own_first"] is True and row["margin"] is None
    assert result["speakers"] == 1 and result["own_first"] == 1.0
    assert result["best_other_mean"] is None and result["margin_mean"] is None
    assert similarity_summary(result).endswith("own speaker first among 1 for 100.0% (no other speaker)")
    assert similarity({}, REAL, UTT2SPK) == {"utterances": 0, "per_utterance": {}}
    assert similarity({"z9": unit(1, 0, 0)}, REAL, UTT2SPK) == {"utterances": 0, "per_utterance": {}}
    assert similarity_summary({"utterances": 0}).startswith("no speaker similarity")


class CountingDict(dict):
    """A dict that counts its ``get`` calls."""

    calls = 0

    def get(self, *args):
        CountingDict.calls += 1
        return super().get(*args)


def test_similarity_looks_up_speakers_in_linear_time() -> None:
    """Twice the speakers (and their utterances) cost twice the speaker look-ups, not four times: the real
    utterances of each speaker are counted in one pass (it was one pass per speaker, quadratic where every source
    text is its own speaker, as in the SwitchLingua release)."""
    rng = np.random.default_rng(0)

    def lookups(speakers: int) -> int:
        real = {f"s{k}-{i}": rng.random(4) for k in range(speakers) for i in range(2)}
        outputs = {f"s{k}-new": rng.random(4) for k in range(speakers)}
        utt2spk = CountingDict({u: u.split("-")[0] for u in [*real, *outputs]})
        CountingDict.calls = 0
        assert similarity(outputs, real, utt2spk)["utterances"] == speakers
        return CountingDict.calls

    small, large = lookups(20), lookups(40)
    assert large <= 2.2 * small, (small, large)


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
        sim = {
            "speakers": 8,
            "own_mean": 0.8,
            "best_other_mean": sim_other,
            "margin_mean": None if sim_other is None else round(0.8 - sim_other, 5),
            "own_first": 0.75,
        }
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
        "speakers": 8,
        "similarity_own": 0.8,
        "similarity_best_other": 0.61,
        "own_first": 0.75,
        "margin": 0.19,
        "rtf": 0.5,
        "per_tag_mer": {"en": 0.05, "zh": 0.3},
    }
    write_summary(rows, tmp_path / "table.json")
    assert json.loads((tmp_path / "table.json").read_text()) == rows
    header, *lines = (tmp_path / "table.tsv").read_text().splitlines()
    assert header.split("\t")[-2:] == ["mer_en", "mer_zh"] and len(lines) == 2
    cells = dict(zip(header.split("\t"), lines[1].split("\t"), strict=True))
    assert cells["system"] == "resynth" and cells["mer"] == "0.2500" and cells["similarity_best_other"] == "-"
    assert cells["mer_zh"] == "-" and cells["utterances"] == "4" and cells["speakers"] == "8"
    assert cells["own_first"] == "0.7500" and cells["margin"] == "-"
    first = dict(zip(header.split("\t"), lines[0].split("\t"), strict=True))
    assert first["margin"] == "0.1900" and first["similarity_best_other"] == "0.6100"


def test_missing_inputs_are_one_input_file_error(tmp_path) -> None:
    from cstoolkit.tts.eval.evaluate import evaluate_synthesis

    with pytest.raises(InputFileError, match=r"utt_embed\.scp: missing: run cstk embed-speakers"):
        real_embeddings(tmp_path)
    with pytest.raises(InputFileError, match=r"synthesis\.json: missing: not a finished synthesis folder"):
        evaluate_synthesis(tmp_path, tmp_path, None, None, None)


# --- bootstrap intervals and paired p-values of the table (cstoolkit.tts.eval.stats) ---

KINDS = ["ground truth", "copy synthesis", "resynthesis", "tts", "tts"]


def test_which_row_each_row_is_compared_with() -> None:
    from cstoolkit.tts.eval.stats import references

    rows = [{"kind": k} for k in KINDS]
    # copy synthesis vs ground truth, resynthesis vs copy synthesis, TTS vs resynthesis and ground truth, a second
    # TTS (the AR model beside the NAR one) also vs the first
    assert [references(rows, i) for i in range(5)] == [[], [0], [1], [2, 0], [2, 0, 3]]
    stage_18 = [{"kind": "copy synthesis"}, {"kind": "resynthesis"}]
    assert [references(stage_18, i) for i in range(2)] == [[], [0]]
    no_copy = [{"kind": "ground truth"}, {"kind": "resynthesis"}, {"kind": "tts"}]
    assert [references(no_copy, i) for i in range(3)] == [[], [0], [1, 0]]
    stage_29 = [{"kind": "tts"}, {"kind": "tts"}]
    assert [references(stage_29, i) for i in range(2)] == [[], [0]]


def test_resampling_settings_from_the_metric_config() -> None:
    from cstoolkit.errors import ConfigError
    from cstoolkit.tts.eval.stats import Resampling, resampling_of

    assert resampling_of({}) == resampling_of(None) == Resampling(1000, 12345, 0.95)
    assert not resampling_of({"bootstrap": 0}).enabled
    assert resampling_of({"bootstrap": 200, "seed": 3, "ci_level": 0.9}) == Resampling(200, 3, 0.9)
    with pytest.raises(ConfigError, match="ci_level"):
        resampling_of({"ci_level": 1.5})
    with pytest.raises(ConfigError, match="bootstrap"):
        resampling_of({"bootstrap": -3})


def bag_of_letters(texts: list[str]) -> np.ndarray:
    """A toy sentence embedding: letter counts folded into 8 dimensions."""
    out = np.ones((len(texts), 8), np.float32)
    for row, text in enumerate(texts):
        for ch in text:
            out[row, ord(ch) % 8] += 1
    return out


def scored(hyps: list[str], lam: float = 1.0, weighting: str = "mean"):
    from cstoolkit.metrics.saer import SAERConfig, compute_saer
    from cstoolkit.metrics.semantic import FunctionBackend

    refs = ["我 去 shopping mall", "hola my friend", "买 东 西 today", "vamos al mall", "我 买 coffee", "good day"]
    tags = {"u1": "zh-en", "u2": "es-en", "u3": "zh-en", "u4": "es-en", "u5": "zh-en", "u6": "es-en"}
    config = SAERConfig(lam=lam, model="bag@test", semantic_weighting=weighting)
    backend = FunctionBackend("bag@test", bag_of_letters) if lam < 1 else None
    return compute_saer(refs, hyps, list(tags), config, tags, backend=backend)


HYPS = ["我 去 mall", "hola friend", "买 东 西 today", "vamos al mall now", "我 买 tea", "good"]


@pytest.mark.parametrize(("lam", "weighting"), [(1.0, "mean"), (0.5, "mean"), (0.5, "length")])
def test_intervals_re_pooled_from_saer_json_match_the_metric(lam, weighting) -> None:
    from cstoolkit.metrics.bootstrap import add_intervals, intervals_to_dict
    from cstoolkit.tts.eval.stats import Resampling, result_from_json, saer_intervals

    result = scored(HYPS, lam, weighting)
    doc = json.loads(json.dumps(result.to_dict()))  # what saer.json holds
    rebuilt = result_from_json(doc)
    assert rebuilt is not None and rebuilt.signature == result.signature
    assert rebuilt.saer == pytest.approx(result.saer) and rebuilt.form_error == result.form_error
    assert rebuilt.per_tag["es-en"].saer == pytest.approx(result.per_tag["es-en"].saer)
    expected = add_intervals(result, 300, 7, 0.9)
    overall, per_tag = saer_intervals(doc, Resampling(300, 7, 0.9))
    names = {"mer": "form_error", "saer": "saer", "e_sem": "semantic_error"}
    want = intervals_to_dict(expected.ci)
    assert overall == {key: want[name] for key, name in names.items() if name in want}
    assert set(overall) == ({"mer", "saer"} if lam == 1 else {"mer", "saer", "e_sem"})
    assert per_tag["zh-en"]["mer"] == expected.per_tag["zh-en"].ci["form_error"].to_dict()
    assert overall["mer"]["low"] <= result.form_error <= overall["mer"]["high"]
    assert saer_intervals(doc, None) == ({}, {})
    assert result_from_json({k: v for k, v in doc.items() if k != "per_utterance"}) is None


def test_intervals_saer_json_carries_are_read_not_recomputed() -> None:
    from cstoolkit.tts.eval.stats import Resampling, saer_intervals

    doc = json.loads(json.dumps(scored(HYPS).to_dict()))
    made = {"level": 0.95, "low": 0.01, "high": 0.99, "resamples": 1000, "seed": 12345}
    doc["ci"] = {"saer": made, "form_error": made}
    doc["per_tag"]["es-en"]["ci"] = {"form_error": made}
    overall, per_tag = saer_intervals(doc, Resampling())
    assert overall == {"saer": made, "mer": made} and per_tag["es-en"] == {"mer": made}
    other, _ = saer_intervals(doc, Resampling(seed=1))  # other settings: re-pooled from the utterances
    assert other["mer"]["seed"] == 1 and other["mer"] != made


def test_paired_mean_difference() -> None:
    from cstoolkit.tts.eval.stats import Resampling, paired_mean_difference

    rng = np.random.default_rng(0)
    a = rng.uniform(0.6, 0.9, 80)
    same = paired_mean_difference(a, a.copy(), Resampling())
    assert same.delta == 0 and same.p_value == 1.0 and same.ci.low == same.ci.high == 0
    lower = paired_mean_difference(a, a - 0.05 + rng.normal(0, 0.01, 80), Resampling())
    assert lower.delta == pytest.approx(-0.05, abs=0.01) and lower.p_value < 0.01
    assert lower.ci.low <= lower.delta <= lower.ci.high < 0
    noise = paired_mean_difference(a, a + rng.normal(0, 0.05, 80), Resampling())
    assert noise.ci.low < 0 < noise.ci.high and noise.p_value > 0.05


def judged_folder(root, name: str, kind: str, hyps: list[str], own: list[float], old: bool = False):
    """A judged folder: saer.json of real scores, similarity.json of the given own-speaker cosines against one other
    speaker at 0.5 (``old``: as written before ranks, ``closer_to_own`` and ``other_mean``)."""
    folder = root / name
    folder.mkdir()
    (folder / "saer.json").write_text(json.dumps(scored(hyps).to_dict()))
    if old:
        per_utt = {
            f"u{i + 1}": {"speaker": "A", "own": v, "others": {"B": 0.5}, "closer_to_own": v > 0.5}
            for i, v in enumerate(own)
        }
        sim = {
            "own_mean": round(float(np.mean(own)), 5),
            "other_mean": 0.5,
            "closer_to_own": round(float(np.mean([v > 0.5 for v in own])), 5),
        }
    else:
        per_utt = {
            f"u{i + 1}": {
                "speaker": "A",
                "own": v,
                "others": {"B": 0.5},
                "rank": 1 if v > 0.5 else 2,
                "own_first": v > 0.5,
                "margin": round(v - 0.5, 5),
            }
            for i, v in enumerate(own)
        }
        sim = {
            "utterances": len(own),
            "speakers": 2,
            "own_mean": round(float(np.mean(own)), 5),
            "best_other_mean": 0.5,
            "margin_mean": round(float(np.mean(own)) - 0.5, 5),
            "own_first": round(float(np.mean([v > 0.5 for v in own])), 5),
        }
    sim["per_utterance"] = per_utt
    tags = {f"u{i + 1}": "zh-en" if i % 2 == 0 else "es-en" for i in range(len(own))}  # those of scored()
    (folder / "utt2lang").write_text("".join(f"{u} {t}\n" for u, t in tags.items()))
    (folder / "similarity.json").write_text(json.dumps(sim))
    (folder / "synthesis.json").write_text(json.dumps({"kind": kind, "rtf": 0.5}))
    return folder


def test_a_system_identical_to_its_reference_row_differs_by_zero(tmp_path) -> None:
    from cstoolkit.tts.eval.evaluate import comparison_row
    from cstoolkit.tts.eval.stats import add_comparisons

    own = [0.9, 0.85, 0.4, 0.8, 0.88, 0.7]
    copy = judged_folder(tmp_path, "copy", "copy synthesis", HYPS, own)
    resynth = judged_folder(tmp_path, "resynth", "resynthesis", HYPS, own)  # the same numbers as copy synthesis
    worse = ["", "", "", "", "", ""]
    tts = judged_folder(tmp_path, "tts", "tts", worse, [0.3, 0.2, 0.35, 0.1, 0.25, 0.3])
    rows = add_comparisons([comparison_row(f) for f in (copy, resynth, tts)])
    assert [r["vs"] for r in rows] == [None, "copy", "resynth"]
    assert rows[0]["comparisons"] == [] and rows[0]["p_values"] == {}
    same = rows[1]["comparisons"][0]
    assert same["vs"] == "copy" and same["utterances"] == 6 and same["similarity_utterances"] == 6
    assert set(same["differences"]) == {"mer", "saer", "similarity_own", "own_first", "margin"}
    for diff in same["differences"].values():
        assert diff["delta"] == 0 and diff["p_value"] == 1.0 and diff["ci"]["low"] == diff["ci"]["high"] == 0
    assert rows[1]["p_values"] == dict.fromkeys(("mer", "saer", "similarity_own", "own_first", "margin"), 1.0)
    worst = rows[2]["comparisons"][0]["differences"]
    assert worst["mer"]["delta"] == pytest.approx(1 - rows[1]["mer"]) and worst["mer"]["ci"]["low"] > 0
    assert worst["similarity_own"]["delta"] < 0 and worst["similarity_own"]["p_value"] < 0.05
    for row in rows:
        for key in ("mer", "saer", "similarity_own", "similarity_best_other", "own_first", "margin"):
            ci = row["ci"][key]
            assert ci["level"] == 0.95 and ci["resamples"] == 1000 and ci["seed"] == 12345
            assert ci["low"] <= row[key] <= ci["high"], (row["system"], key)
        assert row["per_tag"]["es-en"]["ci"]["mer"]["low"] <= row["per_tag"]["es-en"]["mer"]
    write_summary(rows, tmp_path / "table.json")
    header, *lines = (tmp_path / "table.tsv").read_text().splitlines()
    cells = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]
    assert [c["vs"] for c in cells] == ["-", "copy", "resynth"] and cells[1]["p_saer"] == "1.0000"
    assert cells[0]["mer_ci"].startswith("[") and cells[0]["similarity_own_ci"].startswith("[")
    header, *lines = (tmp_path / "table_comparisons.tsv").read_text().splitlines()
    cells = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]
    assert [(c["system"], c["vs"]) for c in cells] == [("resynth", "copy"), ("tts", "resynth")]  # no ground truth
    assert cells[0]["d_mer"] == "0.0000" and cells[0]["p_mer"] == "1.0000" and cells[0]["d_e_sem"] == "-"


def test_a_similarity_json_written_before_ranks_still_reads(tmp_path) -> None:
    """closer_to_own (own > every other speaker) reads as own_first; such a file has no margin."""
    from cstoolkit.tts.eval.evaluate import comparison_row
    from cstoolkit.tts.eval.stats import add_comparisons

    own = [0.9, 0.85, 0.4, 0.8, 0.88, 0.7]
    old = judged_folder(tmp_path, "old", "copy synthesis", HYPS, own, old=True)
    new = judged_folder(tmp_path, "new", "resynthesis", HYPS, own)
    rows = add_comparisons([comparison_row(old), comparison_row(new)])
    assert rows[0]["own_first"] == rows[1]["own_first"] == pytest.approx(5 / 6, abs=1e-5)
    assert rows[0]["speakers"] == rows[1]["speakers"] == 2
    assert rows[0]["margin"] is None and rows[1]["margin"] == pytest.approx(np.mean(own) - 0.5, abs=1e-5)
    assert rows[0]["ci"]["own_first"] == rows[1]["ci"]["own_first"] and "margin" not in rows[0]["ci"]
    old_pair, new_pair = rows[0]["per_tag"]["es-en"], rows[1]["per_tag"]["es-en"]
    assert old_pair["own_first"] == new_pair["own_first"] and old_pair["margin"] is None
    assert new_pair["margin"] == pytest.approx(np.mean([0.85 - 0.5, 0.8 - 0.5, 0.7 - 0.5]), abs=1e-5)  # u2, u4, u6
    differences = rows[1]["comparisons"][0]["differences"]
    assert set(differences) == {"mer", "saer", "similarity_own", "own_first"}  # no margin to pair with
    assert differences["own_first"]["delta"] == 0 and differences["own_first"]["p_value"] == 1.0


def test_no_intervals_or_comparisons_without_resampling(tmp_path) -> None:
    from cstoolkit.tts.eval.evaluate import comparison_row
    from cstoolkit.tts.eval.stats import add_comparisons, resampling_of

    a = judged_folder(tmp_path, "a", "copy synthesis", HYPS, [0.9] * 6)
    b = judged_folder(tmp_path, "b", "resynthesis", HYPS, [0.8] * 6)
    rows = add_comparisons([comparison_row(a, None), comparison_row(b, None)], None)
    assert all(r["ci"] == {} and r["comparisons"] == [] and r["vs"] is None for r in rows)
    none = resampling_of({"bootstrap": 0})  # metric.bootstrap=0
    rows = add_comparisons([comparison_row(a, none), comparison_row(b, none)], none)
    assert all(r["ci"] == {} and r["per_tag"]["es-en"]["ci"] == {} and r["comparisons"] == [] for r in rows)
