"""The CLIs: tokenize (files with a bad one, a data dir), decode-tokenizer + score, tokenizer-report, bad input."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from cstoolkit.cli.cstk import main


def test_tokenize_files_and_bad_file(tok_dir, tmp_path, capsys) -> None:
    good = tmp_path / "a.wav"
    sf.write(good, (0.1 * np.sin(np.arange(22050) / 7)).astype(np.float32), 22050)
    bad = tmp_path / "b.wav"
    bad.write_bytes(b"not audio")
    capsys.readouterr()
    assert main(["tokenize", "--model", str(tok_dir), str(good), str(bad), str(tmp_path / "missing.wav")]) == 2
    cap = capsys.readouterr()
    lines = cap.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{good}\t")
    assert all(t.isdigit() for t in lines[0].split("\t")[1].split())
    errors = cap.err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("cstk tokenize: error:") for e in errors)
    assert "Traceback" not in cap.err


def test_tokenize_data_dir(tok_dir, toy, tmp_path, capsys) -> None:
    data = tmp_path / "dev"
    shutil.copytree(toy / "dev", data)
    assert main(["tokenize", "--model", str(tok_dir), "--data-dir", str(data)]) == 0
    lines = (data / "speech_tokens").read_text().splitlines()
    assert len(lines) == len((data / "feats.scp").read_text().splitlines())


def test_decode_score_and_report(tok_dir, asr_dir, toy, tmp_path, capsys) -> None:
    data = tmp_path / "data"
    for split in ("train", "dev"):
        shutil.copytree(toy / split, data / split)
    dirs = ["--data-dir", str(data / "train"), "--data-dir", str(data / "dev")]
    assert main(["tokenize", "--model", str(tok_dir), *dirs, "--nj", "2"]) == 0
    dec = tmp_path / "dec"
    args = ["--data-dir", str(data / "dev"), "--method", "greedy", "--score", "metric.lam=1"]
    assert main(["decode-tokenizer", "--model-dir", str(tok_dir), "--out-dir", str(dec), *args]) == 0
    scored = json.loads((dec / "saer.json").read_text())
    assert (dec / "hyp.txt").is_file() and scored["form_error"] is not None
    assert scored["ci"]["form_error"]["resamples"] == 1000  # intervals by default (metric.bootstrap)
    asr_dec = tmp_path / "asr_dec"
    assert main(["decode-asr", "--model-dir", str(asr_dir), "--out-dir", str(asr_dec), *args]) == 0
    out = tmp_path / "report"
    shutil.copytree(tok_dir, out, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    assert (
        main(
            [
                "tokenizer-report",
                "--model-dir",
                str(out),
                "--data-root",
                str(data),
                "--splits",
                "train,dev",
                "--decode-dir",
                str(dec),
                "--asr-decode-dir",
                str(asr_dec),
                "--test-dir",
                str(data / "dev"),
                "metric.lam=1",
            ]
        )
        == 0
    )
    report = json.loads((out / "report.json").read_text())
    assert (out / "report.png").stat().st_size > 0
    train = report["splits"]["train"]
    assert 0 < train["codes_used"] <= 1 and train["code_perplexity"] >= 1 and not train["utterances_without_tokens"]
    assert train["count_check"]["all_within_tolerance"]
    assert report["quantized"]["mer"] is not None and report["continuous"]["mer"] is not None
    assert "quantized_vs_continuous" in report and "speaker_invariance" in report
    for system in ("quantized", "continuous"):
        scores = report[system]
        assert scores["ci"]["mer"]["low"] <= scores["mer"] <= scores["ci"]["mer"]["high"]
        assert all(pair["ci"]["mer"] for pair in scores["per_pair"].values())
    paired = report["quantized_vs_continuous"]["paired"]
    assert (paired["a"], paired["b"], paired["resamples"]) == ("continuous", "quantized", 1000)
    assert paired["mer"]["delta"] == pytest.approx(report["quantized"]["mer"] - report["continuous"]["mer"])
    assert 0 < paired["mer"]["p_value"] <= 1 and isinstance(paired["mer"]["significant"], bool)
    assert set(paired["per_pair"]) == set(report["quantized"]["per_pair"])
    assert "warning" not in report["quantized_vs_continuous"]  # scored with the decode folders' settings
    capsys.readouterr()
    bad = ["--model-dir", str(out), "--data-root", str(data), "--splits", "train,dev", "metric.ci_level=2"]
    assert main(["tokenizer-report", *bad]) == 2
    err = capsys.readouterr().err.strip()
    assert "metric.ci_level=2" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["tokenize", "--model", "/nonexistent", "a.wav"], "train-tokenizer"),
        (["tokenize", "--model", "/nonexistent"], "audio files or --data-dir"),
        (
            ["decode-tokenizer", "--model-dir", "/nonexistent", "--data-dir", "/x", "--out-dir", "/tmp/y"],
            "train-tokenizer",
        ),
        (
            [
                "train-tokenizer",
                "--train-dir",
                "/x",
                "--dev-dir",
                "/y",
                "--exp-dir",
                "/tmp/e",
                "tokenizer.quantize_after=0",
            ],
            "tokenizer.quantize_after",
        ),
        (["tokenizer-report", "--model-dir", "/nonexistent", "--data-root", "/x"], "train-tokenizer"),
        (
            [
                "decode-tokenizer",
                "--model-dir",
                "/nonexistent",
                "--data-dir",
                "/x",
                "--out-dir",
                "/tmp/y",
                "--score",
                "metric.bootstrap=-1",
            ],
            "metric.bootstrap=-1",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err
