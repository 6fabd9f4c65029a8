"""``cstk generate-text``: the output folder (Kaldi text, segments, pairs, kinds, generation record, summary and its
plot), the external-command path, and one line with exit code 2 for every bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cstoolkit.cli.cstk import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["generate-text", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _kaldi(path: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in path.read_text("utf-8").splitlines())


def test_the_output_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    args = ("--pairs", "zh-en,es-en", "--per-pair", "6", "--seed", "1", "--kinds", "insertion,alternation")
    code, stdout, _ = run_cli(capsys, *args, "--out-dir", out)
    assert code == 0 and "24 sentences of 2 language pair(s)" in stdout
    text, langs, kinds = _kaldi(out / "text"), _kaldi(out / "utt2lang"), _kaldi(out / "utt2kind")
    assert len(text) == 24 and list(text) == sorted(text) and set(langs.values()) == {"zh-en", "es-en"}
    assert sorted(kinds.values()) == ["alternation"] * 12 + ["insertion"] * 12
    for line in (out / "utt2seg.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        assert set(record) == {"id", "segments"}
        assert " ".join(seg["text"] for seg in record["segments"]) == text[record["id"]]
    records = [json.loads(line) for line in (out / "sentences.jsonl").read_text("utf-8").splitlines()]
    assert all(0 < r["cmi"] <= 50 and r["switch_points"] for r in records)
    generation = json.loads((out / "generation.json").read_text("utf-8"))
    assert generation["settings"]["seed"] == 1 and generation["counts"]["es-en"] == {"insertion": 6, "alternation": 6}
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["per_kind"] == {"insertion": 12, "alternation": 12} and sum(summary["cmi"]["counts"]) == 24
    assert set(summary["word_types"]) == {"zh", "es", "en"}
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same command again gives the same folder; its sentences can be excluded from a new one
    before = (out / "text").read_text("utf-8")
    assert run_cli(capsys, *args, "--out-dir", out)[0] == 0 and (out / "text").read_text("utf-8") == before
    code, _, _ = run_cli(capsys, *args, "--exclude", out / "text", "--exclude", out / "utt2seg.jsonl", "--out-dir", out)
    assert code == 0 and not set(_kaldi(out / "text").values()) & set(text.values())


def test_an_external_command_through_the_cli(tmp_path: Path, capsys, caplog) -> None:
    script = tmp_path / "gen.py"
    good = {"pair": "es-en", "segments": [{"lang": "es", "text": "Hoy voy al"}, {"lang": "en", "text": "gym"}]}
    script.write_text(f"print({json.dumps(json.dumps(good))})\nprint('not json')\n", "utf-8")
    out = tmp_path / "out"
    code, stdout, _ = run_cli(capsys, "--pairs", "es-en", "--command", f"{sys.executable} {script}", "--out-dir", out)
    assert code == 0 and "1 sentences of 1 language pair(s), 1 command lines rejected" in stdout
    assert "command output line 2 rejected: malformed JSON" in caplog.text
    generation = json.loads((out / "generation.json").read_text("utf-8"))
    assert generation["source"] == "command" and generation["rejected"][0]["line"] == 2
    assert _kaldi(out / "text") == {"gen-es-en-ins-00001": "Hoy voy al gym"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pairs", "zh-en,xx-en"], "unknown language pair 'xx-en'; choose from zh-en, yue-en"),
        (["--pairs", ","], "no language pair given"),
        (["--kinds", "insertion,mixing"], "unknown switch kind 'mixing'; choose from insertion, alternation"),
        (["--per-pair", "0"], "--per-pair: expected a whole number of at least 1, got '0'"),
        (["--per-pair", "many"], "--per-pair: expected a whole number of at least 1, got 'many'"),
        (["--seed", "1.5"], "--seed: expected a whole number, got '1.5'"),
        (["--min-units", "9", "--max-units", "4"], "min-units 9 is larger than max-units 4"),
        (["--exclude", "MISSING"], "MISSING: no such file"),
        (["--exclude", "BADJSON"], "BADJSON:2: malformed JSON"),
        (["--command", "exit 4"], "--command exited with status 4"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hola amigo"}\n{"text": \n', "utf-8")
    argv = [str(tmp_path / "missing.txt") if a == "MISSING" else str(bad) if a == "BADJSON" else a for a in argv]
    message = message.replace("MISSING", str(tmp_path / "missing.txt")).replace("BADJSON", str(bad))
    code, _, err = run_cli(capsys, *argv, "--out-dir", tmp_path / "out")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cstk generate-text: error: {message}"), err
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_an_earlier_output_is_left_alone(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine\n", "utf-8")
    code, _, err = run_cli(capsys, "--pairs", "es-en", "--per-pair", "2", "--out-dir", tmp_path)
    assert code == 2 and "is not empty and not an earlier generate-text output" in err
    assert (tmp_path / "keep.txt").read_text("utf-8") == "mine\n"
