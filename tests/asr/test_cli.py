"""The CLIs: units -> train-asr -> decode-asr -> transcribe, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest

from cstoolkit.cli.cstk import main

TINY = [
    "asr=tiny",
    "trainer.enable_progress_bar=false",
    "asr.train.max_epochs=1",
    "units.spm_vocab_size=30",
    "augment=none",
]


def test_units_train_decode_transcribe(toy, tmp_path, capsys) -> None:
    units = tmp_path / "units"
    assert main(["units", "--text", str(toy / "train" / "text"), "--out-dir", str(units), *TINY]) == 0
    assert (units / "tokens.txt").is_file()
    exp = tmp_path / "exp"
    args = [
        "train-asr",
        "--train-dir",
        str(toy / "train"),
        "--dev-dir",
        str(toy / "dev"),
        "--units-dir",
        str(units),
        "--exp-dir",
        str(exp),
        *TINY,
    ]
    assert main(args) == 0
    assert (exp / "model.pth").is_file()
    out = tmp_path / "dec"
    assert (
        main(
            [
                "decode-asr",
                "--model-dir",
                str(exp),
                "--data-dir",
                str(toy / "dev"),
                "--out-dir",
                str(out),
                "--method",
                "greedy",
                *TINY,
            ]
        )
        == 0
    )
    assert json.loads((out / "decode.json").read_text())["method"] == "greedy"
    scored = tmp_path / "scored"
    assert (
        main(
            [
                "decode-asr",
                "--model-dir",
                str(exp),
                "--data-dir",
                str(toy / "dev"),
                "--out-dir",
                str(scored),
                "--method",
                "greedy",
                "--score",
                *TINY,
                "metric.lam=1",
            ]
        )
        == 0
    )
    saer = json.loads((scored / "saer.json").read_text())
    assert saer  # the lead's SAER report, scored from our hyp.txt against data/dev/text
    assert saer["ci"]["saer"]["low"] <= saer["saer"] <= saer["ci"]["saer"]["high"]  # metric.bootstrap's intervals
    for name in ("report.html", "breakdown.png"):
        assert (scored / name).is_file()
    wav = (toy / "dev" / "wav.scp").read_text().split("\n")[0].split(" ", 1)[1]
    capsys.readouterr()
    assert main(["transcribe", "--model", str(exp), "--method", "greedy", wav]) == 0
    line = capsys.readouterr().out.rstrip("\n")
    assert line.startswith(wav + "\t")


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["units", "--text", "/nonexistent/text", "--out-dir", "/tmp/x"], "/nonexistent/text"),
        (["decode-asr", "--model-dir", "/nonexistent", "--data-dir", "/x", "--out-dir", "/y"], "train-asr"),
        (["transcribe", "--model", "/nonexistent", "a.wav"], "train-asr"),
        (
            [
                "train-asr",
                "--train-dir",
                "/x",
                "--dev-dir",
                "/y",
                "--units-dir",
                "/nonexistent",
                "--exp-dir",
                "/tmp/e",
                "asr.encoder.no_such_key=1",
            ],
            "bad configuration override",
        ),
        (["whisper", "--data-dir", "/nonexistent", "--out-dir", "/tmp/w"], "wav.scp"),
        (
            [
                "decode-asr",
                "--model-dir",
                "/nonexistent",
                "--data-dir",
                "/x",
                "--out-dir",
                "/y",
                "--score",
                "metric.bootstrap=-1",
            ],
            "metric.bootstrap=-1",
        ),
        (
            ["whisper", "--data-dir", "/nonexistent", "--out-dir", "/tmp/w", "--score", "metric.seed=-2"],
            "metric.seed=-2",
        ),
        (
            [
                "robustness",
                "--model-dir",
                "/nonexistent",
                "--conditions-dir",
                "/x",
                "--out-dir",
                "/y",
                "metric.ci_level=1.5",
            ],
            "metric.ci_level=1.5",
        ),
        (["score", "--ref", "/x", "--hyp", "/y", "--out-dir", "/z", "metric.bootstrap=0.5"], "metric.bootstrap=0.5"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_decode_asr_with_two_pairs_decodes_each_data_dir_into_its_folder(trained, toy, tmp_path) -> None:
    """One model load, two ``--data-dir/--out-dir`` pairs: each folder as a one-pair run would leave it."""
    base = ["decode-asr", "--model-dir", str(trained), "--method", "greedy", "--device", "cpu", *TINY]
    pairs = {"dev": tmp_path / "dec_dev", "train": tmp_path / "dec_train"}
    pair_args = [arg for s, out in pairs.items() for arg in ("--data-dir", str(toy / s), "--out-dir", str(out))]
    assert main([*base, *pair_args]) == 0
    alone = tmp_path / "dev_alone"
    assert main([*base, "--data-dir", str(toy / "dev"), "--out-dir", str(alone)]) == 0
    for split, out in pairs.items():
        utts = {line.split(maxsplit=1)[0] for line in (toy / split / "text").read_text().splitlines()}
        assert {line.split(maxsplit=1)[0] for line in (out / "hyp.txt").read_text().splitlines()} == utts, split
        assert json.loads((out / "decode.json").read_text())["method"] == "greedy"
    assert (pairs["dev"] / "hyp.txt").read_text() == (alone / "hyp.txt").read_text()
