"""``--data-dir D --out-dir O`` repeated in pairs (``decode-asr``, ``decode-tokenizer``, ``vocode``,
``resynthesize``; cstoolkit/cli/common.py): a count mismatch or an output folder named twice is one stderr line and
exit 2 before anything loads or is written; ``cstk vocode`` with two pairs writes both folders (one vocoder load).
The two-pair ``decode-asr`` run is in tests/asr/test_cli.py (it needs the trained toy model of tests/asr)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1] / "tts"))
from tts_helpers import write_flow_dir

from cstoolkit.cli.cstk import main

#: each command with the options it needs besides the pairs (a model that does not exist: refused before it loads)
COMMANDS = {
    "decode-asr": ["--model-dir", "{tmp}/no_model", "--device", "cpu"],
    "decode-tokenizer": ["--model-dir", "{tmp}/no_model", "--device", "cpu"],
    "vocode": ["--threads", "1"],
    "resynthesize": ["--model", "{tmp}/no_model", "--threads", "1"],
}


def pairs_args(tmp: Path, data: list[str], out: list[str]) -> list[str]:
    """``--data-dir`` options first, then the ``--out-dir`` ones (argparse keeps each list in order)."""
    args = [arg for name in data for arg in ("--data-dir", str(tmp / name))]
    return args + [arg for name in out for arg in ("--out-dir", str(tmp / name))]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    "data, out, message",
    [
        (["a", "b"], ["x"], "--data-dir and --out-dir go in pairs: 2 --data-dir, 1 --out-dir"),
        (["a"], ["x", "y"], "--data-dir and --out-dir go in pairs: 1 --data-dir, 2 --out-dir"),
        (["a", "b"], ["x", "x"], "each --out-dir must be a different folder"),
    ],
)
def test_bad_pairs_are_one_line_and_exit_2(command, data, out, message, tmp_path, capsys) -> None:
    extra = [arg.format(tmp=tmp_path) for arg in COMMANDS[command]]
    assert main([command, *extra, *pairs_args(tmp_path, data, out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"cstk {command}: error: {message}"] and captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no output folder cleared or made


def test_an_output_folder_of_an_earlier_run_survives_a_refused_one(tmp_path, capsys) -> None:
    kept = tmp_path / "x"
    kept.mkdir()
    (kept / "hyp.txt").write_text("u1 kept\n")
    args = ["decode-asr", "--model-dir", str(tmp_path / "no_model"), "--device", "cpu"]
    assert main([*args, *pairs_args(tmp_path, ["a", "b"], ["x", "x"])]) == 2
    assert "each --out-dir must be a different folder" in capsys.readouterr().err
    assert (kept / "hyp.txt").read_text() == "u1 kept\n"


def test_a_missing_out_dir_is_argparse_usage_and_exit_2(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["vocode", "--data-dir", str(tmp_path / "a")])
    assert exit_info.value.code == 2
    assert "the following arguments are required: --out-dir" in capsys.readouterr().err


def test_vocode_with_two_pairs_writes_both_folders(tmp_path, capsys) -> None:
    first = write_flow_dir(tmp_path / "first", {"spkA": 2}, n_tokens=(4, 5))
    second = write_flow_dir(tmp_path / "second", {"spkB": 1}, n_tokens=(4, 5), seed=1)
    outs = [tmp_path / "copy_first", tmp_path / "copy_second"]
    args = ["vocode", "--threads", "1"]
    for data, out in zip((first, second), outs, strict=True):
        args += ["--data-dir", str(data), "--out-dir", str(out)]
    assert main(args) == 0
    assert "Traceback" not in capsys.readouterr().err
    for data, out in zip((first, second), outs, strict=True):
        shapes = dict(line.split() for line in (data / "mel_shape").read_text().splitlines())
        assert sorted(p.stem for p in (out / "wav").iterdir()) == sorted(shapes)
        listed = dict(line.split() for line in (out / "wav.scp").read_text().splitlines())
        assert sorted(listed) == sorted(shapes)
        for utt, shape in shapes.items():
            wave, rate = sf.read(out / "wav" / f"{utt}.wav")
            assert rate == 22050 and len(wave) == int(shape.split(",")[0]) * 256
        info = json.loads((out / "synthesis.json").read_text())
        assert info["kind"] == "copy synthesis" and info["source"] == str(data.resolve()) and info["skipped"] == {}
