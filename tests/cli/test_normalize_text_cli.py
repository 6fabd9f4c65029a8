"""``cstk normalize-text``: the front end's reading printed; bad input is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

from cstoolkit.cli.cstk import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["normalize-text", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sentence_and_its_segments(capsys) -> None:
    assert run(capsys, "--lang", "zh-en", "我有 3 个 meeting 在 2025 年") == (
        0,
        "我有 三 个 meeting 在 二零二五 年\n",
        "",
    )
    code, out, _ = run(capsys, "--lang", "es-en", "--segments", "<es>tengo 3</es> meetings")
    assert code == 0 and out.splitlines() == ["es: tengo tres", "en: meetings"]


def test_a_kaldi_text_file(tmp_path: Path, capsys) -> None:
    text = tmp_path / "text"
    text.write_text("u1 I have 3 meetings\n\nu2 我的 GPU 坏了\n", encoding="utf-8")
    code, out, _ = run(capsys, "--text", str(text))
    assert code == 0 and out.splitlines() == ["u1 I have three meetings", "u2 我的 G P U 坏了"]


def test_bad_input_is_one_line(tmp_path: Path, capsys) -> None:
    for argv, says in (
        (["--lang", "xx-en", "hola"], "unknown language 'xx'"),
        (["<es>hola"], "not closed"),
        (["--text", str(tmp_path / "missing")], "no such file"),
        ([], "give one of"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and len(err.splitlines()) == 1 and says in err, (argv, err)
