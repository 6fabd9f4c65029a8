"""What the tokens keep of what was said: MER/SAER through the quantizer vs the CS-ASR with intervals, and their
paired difference (cstoolkit.tokenizer.recognition), on hand-made decode folders (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from cstoolkit.asr.score import score_decoding
from cstoolkit.tokenizer.recognition import decode_scores, quantized_vs_continuous

METRIC = OmegaConf.create({"lam": 1.0, "model": "use-multilingual", "units": "mixed", "jobs": 1})
REFS = {f"u{i:02d}": text for i, text in enumerate(["我 今天 去 shopping mall", "vamos al mall today"] * 10)}
TAGS = {uttid: "zh-en" if "shopping" in text else "es-en" for uttid, text in REFS.items()}


def folder(root: Path, name: str, hyps: dict[str, str], test_dir: Path, metric=METRIC) -> Path:
    out = root / name
    out.mkdir()
    (out / "hyp.txt").write_text("".join(f"{u} {t}\n" for u, t in hyps.items()), encoding="utf-8")
    score_decoding(test_dir, out, metric, name)
    return out


@pytest.fixture
def test_dir(tmp_path: Path) -> Path:
    data = tmp_path / "test"
    data.mkdir()
    (data / "text").write_text("".join(f"{u} {t}\n" for u, t in REFS.items()), encoding="utf-8")
    (data / "utt2lang").write_text("".join(f"{u} {t}\n" for u, t in TAGS.items()), encoding="utf-8")
    return data


def test_intervals_and_paired_difference(tmp_path, test_dir) -> None:
    continuous = decode_scores(folder(tmp_path, "asr", REFS, test_dir))
    worse = {u: t.rsplit(" ", 1)[0] for u, t in REFS.items()}  # the quantizer loses the last word
    quantized = decode_scores(folder(tmp_path, "tok", worse, test_dir))
    assert quantized["ci"]["mer"]["low"] <= quantized["mer"] <= quantized["ci"]["mer"]["high"]
    assert set(quantized["per_pair"]) == {"zh-en", "es-en"} and quantized["per_pair"]["es-en"]["ci"]["saer"]
    comparison = quantized_vs_continuous(quantized, continuous, test_dir, METRIC)
    paired = comparison["paired"]
    assert paired["mer"]["delta"] == pytest.approx(quantized["mer"] - continuous["mer"])
    assert paired["mer"]["delta"] > 0
    assert paired["mer"]["p_value"] == pytest.approx(1 / 1001) and paired["mer"]["significant"]
    assert paired["per_pair"]["es-en"]["mer"]["delta"] == pytest.approx(0.25)
    assert comparison["mer_difference"] == pytest.approx(paired["mer"]["delta"]) and "warning" not in comparison


def test_the_same_decoding_does_not_differ(tmp_path, test_dir) -> None:
    hyps = {u: (t.rsplit(" ", 1)[0] if i % 3 == 0 else t) for i, (u, t) in enumerate(REFS.items())}
    quantized = decode_scores(folder(tmp_path, "tok", hyps, test_dir))
    continuous = decode_scores(folder(tmp_path, "asr", hyps, test_dir))
    paired = quantized_vs_continuous(quantized, continuous, test_dir, METRIC)["paired"]
    for figure in ("mer", "saer"):
        assert paired[figure]["delta"] == 0 and paired[figure]["p_value"] == 1 and not paired[figure]["significant"]


def test_without_intervals_or_with_other_settings(tmp_path, test_dir) -> None:
    none = OmegaConf.merge(METRIC, {"bootstrap": 0})
    quantized = decode_scores(folder(tmp_path, "tok", REFS, test_dir, none))
    continuous = decode_scores(folder(tmp_path, "asr", REFS, test_dir, none))
    assert quantized["ci"] is None and quantized["per_pair"]["zh-en"]["ci"] is None
    assert "paired" not in (quantized_vs_continuous(quantized, continuous, test_dir, none) or {})
    assert quantized_vs_continuous(quantized, continuous, None, METRIC) == {"mer_ratio": None, "mer_difference": 0.0}
    other = OmegaConf.merge(METRIC, {"normalize": False})
    comparison = quantized_vs_continuous(quantized, continuous, test_dir, other)
    assert "norm:none" in comparison["warning"] and comparison["paired"]["saer"]["delta"] == 0
