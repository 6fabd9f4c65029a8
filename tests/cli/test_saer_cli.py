"""The ``saer`` command: output formats, options, and one clear line + exit 2 for every bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cstoolkit import saer
from cstoolkit.cli.saer import main

REF = "u1 我今天去 shopping mall 买东西\nu2 Vamos al mall después del work\nu3 明日の meeting はキャンセルです\n"
HYP = "u1 我今天去 shopping 买东西\nu2 vamos al mall despues del trabajo\nu3 明日の miting はキャンセルでした\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    ref, hyp = tmp_path / "ref.txt", tmp_path / "hyp.txt"
    ref.write_text(REF, encoding="utf-8")
    hyp.write_text(HYP, encoding="utf-8")
    return ref, hyp


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_with_lambda_one_is_the_mixed_error_rate(files, capsys) -> None:
    code, out, _ = run_cli(capsys, *files, "--lambda", "1", "--json")
    assert code == 0
    doc = json.loads(out)
    # u1: 1 deletion / 9; u2: 2 substitutions / 6; u3: 2 S + 1 I / 12  ->  6 / 27
    assert (doc["substitutions"], doc["deletions"], doc["insertions"], doc["ref_units"]) == (4, 1, 1, 27)
    assert doc["saer"] == pytest.approx(6 / 27) and doc["form_error"] == pytest.approx(6 / 27)
    assert doc["semantic_error"] is None and doc["utterances"] == 3
    assert {
        "id",
        "saer",
        "form_error",
        "semantic_error",
        "substitutions",
        "deletions",
        "insertions",
        "ref_units",
    } <= set(doc["per_utterance"][0])
    api = saer(REF_TEXTS, HYP_TEXTS, lam=1)
    assert api.saer == pytest.approx(doc["saer"]) and api.signature == doc["signature"]


REF_TEXTS = [line.split(" ", 1)[1] for line in REF.splitlines()]
HYP_TEXTS = [line.split(" ", 1)[1] for line in HYP.splitlines()]


def test_summary_reports_and_breakdowns(files, tmp_path, capsys) -> None:
    utt2lang = tmp_path / "utt2lang"
    utt2lang.write_text("u1 zh-en\nu2 es-en\nu3 ja-en\n")
    html, png, tsv = tmp_path / "r.html", tmp_path / "r.png", tmp_path / "per_utt.tsv"
    code, out, _ = run_cli(
        capsys,
        *files,
        "--model",
        "use-multilingual",
        "--utt2lang",
        utt2lang,
        "--html",
        html,
        "--plot",
        png,
        "--per-utt",
        tsv,
        "--align",
    )
    assert code == 0
    assert "SAER" in out and "saer|lam:0.5|units:mixed" in out and "model:use-multilingual@" in out
    assert "REF: 我 今 天 去 shopping mall" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    page = html.read_text(encoding="utf-8")
    assert "class=D" in page and "zh-en" in page and "Han" in page
    rows = tsv.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("id\tsaer\tform_error") and len(rows) == 4


def test_other_formats(tmp_path, capsys) -> None:
    ref, hyp = tmp_path / "r.jsonl", tmp_path / "h.jsonl"
    ref.write_text('{"id": "a", "text": "hello world"}\n{"id": "b", "text": "x"}\n')
    hyp.write_text('{"id": "b", "text": "x"}\n{"id": "a", "text": "hello"}\n')
    code, out, _ = run_cli(capsys, ref, hyp, "--format", "jsonl", "--lambda", "1", "--json")
    assert code == 0 and json.loads(out)["deletions"] == 1
    ref, hyp = tmp_path / "r.txt", tmp_path / "h.txt"
    ref.write_text("hello world\n\nsame\n")
    hyp.write_text("hello\n\nsame\n")
    code, out, _ = run_cli(capsys, ref, hyp, "--format", "plain", "--lambda", "1", "--json")
    assert code == 0 and json.loads(out)["utterances"] == 3
    ref, hyp = tmp_path / "r.tsv", tmp_path / "h.tsv"
    ref.write_text("a\thello  world\n")
    hyp.write_text("a\thello world\n")
    code, out, _ = run_cli(capsys, ref, hyp, "--format", "tsv", "--lambda", "1", "--json")
    assert code == 0 and json.loads(out)["saer"] == 0.0


def test_odd_but_valid_input_is_scored(tmp_path, capsys) -> None:
    ref, hyp = tmp_path / "ref.txt", tmp_path / "hyp.txt"
    ref.write_bytes("\ufeffu2\tVamos al mall\r\n\r\nu1 我去 shopping\r\nu3\r\n".encode())
    hyp.write_bytes(b"u1 \xe6\x88\x91\xe5\x8e\xbb shopping\nu3 extra\n\nu2   vamos al mall\n")
    code, out, err = run_cli(capsys, ref, hyp, "--lambda", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [u["id"] for u in doc["per_utterance"]] == ["u2", "u1", "u3"]
    assert doc["insertions"] == 1 and doc["ref_units"] == 6  # u3 has an empty reference


def test_missing_empty_scores_absent_hypotheses(files, tmp_path, capsys) -> None:
    ref, _ = files
    hyp = tmp_path / "partial.txt"
    hyp.write_text("u1 我今天去 shopping mall 买东西\n")
    code, out, _ = run_cli(capsys, ref, hyp, "--lambda", "1", "--json", "--missing", "empty")
    assert code == 0 and json.loads(out)["deletions"] == 6 + 12


BAD_INPUTS = {
    "missing file": (lambda d: None, "no such file"),
    "directory": (lambda d: (d / "hyp.txt").mkdir(), "is a directory"),
    "invalid utf-8": (lambda d: (d / "hyp.txt").write_bytes(b"u1 ok\nu2 caf\xe9\n"), "hyp.txt:2: invalid UTF-8"),
    "binary": (lambda d: (d / "hyp.txt").write_bytes(b"\x00\x01\x02binary"), "binary"),
    "duplicate id": (lambda d: (d / "hyp.txt").write_text("u1 a\nu2 b\nu1 c\n"), "hyp.txt:3: duplicate"),
    "id only in ref": (lambda d: (d / "hyp.txt").write_text("u1 a\n"), "2 reference id(s) have no hypothesis: u2, u3"),
    "id only in hyp": (lambda d: (d / "hyp.txt").write_text("u1 a\nu2 b\nu3 c\nzz d\n"), "not in the reference"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_one_line_and_exit_2(case, files, capsys) -> None:
    ref, hyp = files
    hyp.unlink()
    make, expected = BAD_INPUTS[case]
    make(hyp.parent)
    code, out, err = run_cli(capsys, ref, hyp, "--lambda", "1")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("saer: error: ") and expected in err, err
    assert "Traceback" not in err and out == ""


def test_more_bad_inputs(tmp_path, files, capsys) -> None:
    ref, hyp = files
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    cases = [
        ([empty, empty, "--lambda", "1"], "empty corpus"),
        ([ref, hyp, "--model", "sentence-transformers/LaBSE"], "not available offline"),
        ([ref, hyp, "--lambda", "2"], "lambda must be in [0, 1]"),
        ([ref, hyp, "--char-scripts", "+Elvish"], "unknown script"),
    ]
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": \n')
    cases.append(([bad_json, bad_json, "--format", "jsonl"], "bad.jsonl:2: not valid JSON"))
    short = tmp_path / "short.txt"
    short.write_text("one line\n")
    cases.append(([ref, short, "--format", "plain"], "pairs lines by position"))
    utt2lang = tmp_path / "utt2lang"
    utt2lang.write_text("u1 zh-en\nu2\n")
    cases.append(([ref, hyp, "--lambda", "1", "--utt2lang", utt2lang], "utt2lang:2: utterance 'u2' has no tag"))
    for argv, expected in cases:
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and expected in err and err.count("\n") == 1, (argv, err)


def test_console_script_end_to_end(files) -> None:
    """The installed entry point: no traceback, exit 2, one line, even through a real process."""
    ref, _ = files
    proc = subprocess.run(
        [sys.executable, "-m", "cstoolkit.cli.saer", str(ref), str(ref.parent / "nope.txt")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.strip().endswith("nope.txt: no such file")
    proc = subprocess.run(
        [sys.executable, "-m", "cstoolkit.cli.saer", str(ref), str(ref), "--lambda", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("SAER 0.0000")


def test_word_language_breakdown_from_utt2seg(files, tmp_path, capsys) -> None:
    utt2seg = tmp_path / "utt2seg.jsonl"
    utt2seg.write_text(
        '{"id": "u1", "segments": [{"lang": "zh", "text": "我今天去"}, {"lang": "en", "text": "shopping mall"},'
        ' {"lang": "zh", "text": "买东西"}]}\n',
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, *files, "--lambda", "1", "--json", "--utt2seg", utt2seg)
    assert code == 0
    per_lang = json.loads(out)["per_word_language"]
    assert per_lang["zh"]["ref_units"] == 7 and per_lang["zh"]["deletions"] == 0
    assert per_lang["en"]["ref_units"] == 2 and per_lang["en"]["deletions"] == 1


def test_jobs_option(files, capsys) -> None:
    code, out, _ = run_cli(capsys, *files, "--model", "use-multilingual", "--jobs", "2", "--json")
    assert code == 0
    single = run_cli(capsys, *files, "--model", "use-multilingual", "--json")[1]
    assert json.loads(out)["saer"] == json.loads(single)["saer"]
    with pytest.raises(SystemExit) as exit_info:
        main([str(files[0]), str(files[1]), "--jobs", "0"])
    assert exit_info.value.code == 2
    assert "--jobs: expected a whole number of at least 1, got '0'" in capsys.readouterr().err


def test_output_and_side_file_mistakes_are_one_line(files, tmp_path, capsys) -> None:
    ref, hyp = files
    no_tab = tmp_path / "no_tab.tsv"
    no_tab.write_text("u1\thello\nu2 no tab here\nu3\n")
    seg = tmp_path / "utt2seg.jsonl"
    seg.write_text('{"id": "u1", "segments": [{"lang": "zh", "text": 5}]}\n')
    cases = [
        ([no_tab, no_tab, "--format", "tsv", "--lambda", "1"], "no_tab.tsv:2: no tab between id and text"),
        ([ref, hyp, "--lambda", "1", "--utt2seg", seg], "utt2seg.jsonl:1: bad segment record"),
        ([ref, hyp, "--lambda", "1", "--per-utt", ref / "x.tsv"], f"{ref}"),
        ([ref, hyp, "--lambda", "1", "--html", tmp_path], f"{tmp_path}: is a directory"),
        ([ref, hyp, "--lambda", "1", "--plot", tmp_path / "p.txt"], "cannot write .txt plots"),
    ]
    for argv, expected in cases:
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and expected in err and err.count("\n") == 1 and ".tmp" not in err, (argv, err)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = run_cli(capsys, empty, empty, "--lambda", "1")
    assert code == 2 and "empty.txt: no utterances" in err


def test_plot_format_follows_the_extension(files, tmp_path, capsys) -> None:
    code, _, _ = run_cli(capsys, *files, "--lambda", "1", "--plot", tmp_path / "b.svg")
    assert code == 0 and (tmp_path / "b.svg").read_text().lstrip().startswith("<?xml")


def test_a_bom_inside_a_file_is_not_part_of_an_id(tmp_path, capsys) -> None:
    joined = tmp_path / "joined.txt"  # cat a.txt b.txt where both start with a BOM
    joined.write_bytes("\ufeffu1 hello\n".encode() + "\ufeffu2 world\n".encode())
    code, out, _ = run_cli(capsys, joined, joined, "--lambda", "1", "--json")
    assert code == 0 and [u["id"] for u in json.loads(out)["per_utterance"]] == ["u1", "u2"]


def test_a_closed_pipe_is_not_a_traceback(files, tmp_path) -> None:
    ref, hyp = files
    long_ref, long_hyp = tmp_path / "r.txt", tmp_path / "h.txt"
    long_ref.write_text(ref.read_text() * 1 + "".join(f"x{i} word {i}\n" for i in range(20000)))
    long_hyp.write_text(hyp.read_text() * 1 + "".join(f"x{i} word {i}\n" for i in range(20000)))
    cmd = f"{sys.executable} -m cstoolkit.cli.saer {long_ref} {long_hyp} --lambda 1 --align | head -1"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr, proc.stderr
    assert proc.stdout.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
        # a non-routable address: the connection hangs until the probe gives up (or a proxy answers 404)
        ({"HF_ENDPOINT": "http://10.255.255.1"}, "the hub at http://10.255.255.1 "),
        ({"HF_ENDPOINT": "http://127.0.0.1:9"}, "the hub at http://127.0.0.1:9 cannot be reached"),  # refused
    ],
)
def test_default_model_not_here_is_one_line_within_ten_seconds(files, tmp_path, env, why) -> None:
    """`saer REF HYP` with the paper's default model (LaBSE), no cached copy and no hub: exit 2 and the advice."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "SENTENCE_"))}
    clean.update(env, HF_HOME=str(tmp_path / "hf_home"))
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cstoolkit.cli.saer", *map(str, files)],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "'sentence-transformers/LaBSE' is not available offline" in done.stderr and why in done.stderr
    assert "use-multilingual" in done.stderr and "huggingface-cli download" in done.stderr
    assert elapsed < 10, elapsed


def test_hub_probe_names_what_is_wrong(monkeypatch) -> None:
    from cstoolkit.metrics.semantic import hub_problem

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.monotonic()
    assert hub_problem("sentence-transformers/LaBSE", timeout=2) == "the hub at http://127.0.0.1:9 cannot be reached"
    assert time.monotonic() - start < 4


def test_ci_summary_and_json(files, capsys) -> None:
    code, out, _ = run_cli(capsys, *files, "--lambda", "1", "--ci")
    assert code == 0
    first, _, intervals, signature = out.splitlines()
    assert re.fullmatch(
        r"SAER 0\.2222 \[\d\.\d{4}, \d\.\d{4}\]  form error 0\.2222 \[\d\.\d{4}, \d\.\d{4}\]  "
        r"semantic error n/a \(lambda=1\)",
        first,
    ), first
    assert intervals == "95% intervals: percentile bootstrap over utterances, 1000 resamples, seed 12345"
    assert signature.startswith("saer|lam:1|")
    code, out, _ = run_cli(
        capsys, *files, "--lambda", "1", "--json", "--bootstrap", "200", "--seed", "7", "--level", "0.9"
    )
    doc = json.loads(out)
    assert doc["ci"]["saer"] == {**doc["ci"]["saer"], "level": 0.9, "resamples": 200, "seed": 7}
    assert doc["ci"]["saer"]["low"] <= doc["saer"] <= doc["ci"]["saer"]["high"]
    assert set(doc["per_script"]["Han"]["ci"]) == {"error_rate"}
    code, again, _ = run_cli(
        capsys, *files, "--lambda", "1", "--json", "--bootstrap", "200", "--seed", "7", "--level", "0.9"
    )
    assert json.loads(again)["ci"] == doc["ci"]
    code, out, _ = run_cli(capsys, *files, "--lambda", "1", "--json")
    assert "ci" not in json.loads(out)


BAD_RESAMPLING = [
    ("--level", "95", "--level: expected a number between 0 and 1"),
    ("--bootstrap", "0", "--bootstrap: expected a whole number"),
    ("--seed", "-3", "--seed: expected a whole number"),
]


@pytest.mark.parametrize(("option", "value", "expected"), BAD_RESAMPLING)
def test_bad_resampling_options(files, capsys, option, value, expected) -> None:
    for argv in ([*map(str, files)], ["compare", str(files[0]), str(files[1]), str(files[1])]):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--lambda", "1", option, value])
        assert exit_info.value.code == 2 and expected in capsys.readouterr().err


HYP_B = "u1 我今天去 shopping mall 买东西\nu2 vamos al mall despues del work\nu3 明日の meeting はキャンセルです\n"


@pytest.fixture
def hyp_b(tmp_path: Path) -> Path:
    path = tmp_path / "hyp_b.txt"
    path.write_text(HYP_B, encoding="utf-8")
    return path


def test_compare_summary_and_json(files, hyp_b, tmp_path, capsys) -> None:
    ref, hyp_a = files
    utt2lang = tmp_path / "utt2lang"
    utt2lang.write_text("u1 zh-en\nu2 es-en\nu3 ja-en\n")
    code, out, err = run_cli(capsys, "compare", ref, hyp_a, hyp_b, "--lambda", "1", "--utt2lang", utt2lang)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"A {hyp_a}: SAER 0.2222 [") and lines[1].startswith(f"B {hyp_b}: SAER 0.0370 [")
    assert lines[2].startswith("B - A: SAER -0.1852 [") and " p=" in lines[2]
    assert any(line.startswith("B - A zh-en: SAER") for line in lines)
    # B is better on all three utterances: no resample flips the sign (the bootstrap's p is its smallest), while
    # randomization knows that three utterances decide little (2 of the 8 swap patterns differ as much: p about 1/4)
    assert "B is better (SAER lower by 0.1852); the difference is significant at the 95% level (p = 0.0010" in out
    assert "p-values: paired bootstrap; 1000 resamples, seed 12345" in out
    code, out, _ = run_cli(capsys, "compare", ref, hyp_a, hyp_b, "--lambda", "1", "--test", "ar")
    assert "B is better (SAER lower by 0.1852); the difference is not significant at the 95% level (p = 0.2" in out
    code, out, _ = run_cli(
        capsys,
        "compare",
        ref,
        hyp_a,
        hyp_b,
        "--lambda",
        "1",
        "--json",
        "--test",
        "ar",
        "--bootstrap",
        "300",
        "--seed",
        "4",
        "--level",
        "0.9",
    )
    doc = json.loads(out)
    assert (doc["test"], doc["resamples"], doc["seed"], doc["level"], doc["better"]) == ("ar", 300, 4, 0.9, "B")
    assert doc["difference"]["saer"]["delta"] == pytest.approx(1 / 27 - 6 / 27)
    assert set(doc["difference"]["saer"]["ci"]) == {"level", "low", "high", "resamples", "seed"}
    assert doc["a"]["name"] == str(hyp_a) and doc["b"]["ci"]["saer"]["seed"] == 4
    assert 0 < doc["difference"]["saer"]["p_value"] <= 1 and "per_tag" not in doc


def test_compare_systems_must_cover_the_reference(files, hyp_b, tmp_path, capsys) -> None:
    ref, hyp_a = files
    partial = tmp_path / "partial.txt"
    partial.write_text("u1 a\nu3 c\n")
    extra = tmp_path / "extra.txt"
    extra.write_text(HYP_B + "u9 d\n")
    cases = [
        ([ref, hyp_a, partial], f"{partial}: 1 reference id(s) have no hypothesis: u2"),
        ([ref, partial, hyp_b], f"{partial}: 1 reference id(s) have no hypothesis: u2"),
        ([ref, hyp_a, extra], f"{extra}: 1 id(s) not in the reference"),
        ([ref, hyp_a, tmp_path / "nope.txt"], "nope.txt: no such file"),
    ]
    for argv, expected in cases:
        code, out, err = run_cli(capsys, "compare", *argv, "--lambda", "1")
        assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("saer: error: "), err
        assert expected in err, err
    code, out, _ = run_cli(capsys, "compare", ref, hyp_a, partial, "--lambda", "1", "--missing", "empty", "--json")
    assert code == 0 and json.loads(out)["b"]["deletions"] > 0


def test_compare_console_script(files, hyp_b) -> None:
    ref, hyp_a = files
    argv = ["compare", str(ref), str(hyp_a), str(hyp_b), "--lambda", "1", "--bootstrap", "100"]
    proc = subprocess.run(
        [sys.executable, "-m", "cstoolkit.cli.saer", *argv], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "B is better" in proc.stdout, proc.stderr


def test_verbalize_option_scores_3_and_three_alike_and_marks_the_signature(tmp_path: Path, capsys) -> None:
    ref, hyp = tmp_path / "ref.txt", tmp_path / "hyp.txt"
    ref.write_text("u1 I have three meetings\n", encoding="utf-8")
    hyp.write_text("u1 I have 3 meetings\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, ref, hyp, "--lambda", "1", "--json", "--verbalize")
    spoken = json.loads(out)
    code_default, out, _ = run_cli(capsys, ref, hyp, "--lambda", "1", "--json")
    default = json.loads(out)
    assert code == code_default == 0
    assert spoken["saer"] == pytest.approx(0.0, abs=1e-12)
    assert default["saer"] == pytest.approx(0.25, abs=1e-9)
    assert "+verbalize" in spoken["signature"] and "verbalize" not in default["signature"]
