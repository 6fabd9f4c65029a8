"""``cstk resynthesize`` and ``cstk vocode`` as a user runs them: bad input is exactly one stderr line and exit 2,
with nothing written; a data directory is resynthesised and copy-synthesised.

Two refused runs are real ``cstk`` processes, started together by a fixture (their whole stderr is checked: one
refused before the model loads, one after); each costs ~5-10 s of importing torch and lightning, so the other cases
go through ``cstk``'s ``main`` in this process, whose stderr is checked the same way (tests/asr/test_cli_errors.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1]))
from tts_helpers import VOCAB

from cstoolkit.cli.cstk import main

ROOT = Path(__file__).resolve().parents[3]
CSTK = Path(sys.executable).parent / "cstk"


def _write_inputs(tmp: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    files = {
        name: tmp / name
        for name in ("good.txt", "unknown.txt", "empty.txt", "text.wav", "silent.wav", "short.wav", "voice.wav")
    }
    files["good.txt"].write_text("a 1 2 3\nb 4 5\n")
    files["unknown.txt"].write_text(f"a 1 2 3\n\nb 4 {VOCAB} 5\n")  # line 3 (a blank line is skipped but counted)
    files["empty.txt"].write_text("a 1 2 3\nb\nc 4\n")
    files["text.wav"].write_text("this is not audio\n")
    sf.write(files["silent.wav"], np.zeros(32000, np.float32), 16000)
    sf.write(files["short.wav"], (0.3 * rng.standard_normal(1600)).astype(np.float32), 16000)
    sf.write(files["voice.wav"], (0.3 * rng.standard_normal(32000)).astype(np.float32), 16000)
    return files


@pytest.fixture(scope="module")
def runs(flow_exp, tmp_path_factory) -> dict:
    """name -> (finished ``cstk resynthesize`` process, its --out-dir) of the refused runs; ``files``, ``tmp``."""
    tmp = tmp_path_factory.mktemp("cli")
    f = _write_inputs(tmp)
    model = ["--model", str(flow_exp)]
    cases = {
        "unknown_token": [*model, "--tokens", f["unknown.txt"], "--prompt", f["voice.wav"]],  # before the model loads
        "silent_prompt": [*model, "--tokens", f["good.txt"], "--prompt", f["silent.wav"]],  # after it loads
    }
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    started = {}
    for name, args in cases.items():
        cmd = [str(CSTK), "resynthesize", *map(str, args), "--out-dir", str(tmp / f"out_{name}"), "--threads", "1"]
        started[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    results: dict = {"files": f, "tmp": tmp}
    for name, proc in started.items():
        stdout, stderr = proc.communicate(timeout=300)
        results[name] = (subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), tmp / f"out_{name}")
    return results


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The only stderr line of a refused run (exit 2, nothing on stdout)."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, (result.returncode, result.stderr[-3000:])
    assert lines[0].startswith("cstk resynthesize: error: ") and result.stdout == ""
    return lines[0].removeprefix("cstk resynthesize: error: ")


def test_an_unknown_token_id_names_the_file_and_line(runs) -> None:
    result, out = runs["unknown_token"]
    path = runs["files"]["unknown.txt"]
    expected = f"{path}:3: b: unknown speech token id {VOCAB} (the model's codebook is [0, {VOCAB}))"
    assert one_line_error(result) == expected
    assert not out.exists()


def test_a_silent_prompt_is_one_line(runs) -> None:
    result, out = runs["silent_prompt"]
    message = one_line_error(result)
    assert message.startswith(f"{runs['files']['silent.wav']}: ") and "silent" in message
    assert not out.exists()


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    return _write_inputs(tmp_path)


def refused_in_process(args: list[str], out: Path, capsys) -> str:
    """``cstk resynthesize ARGS --out-dir OUT`` run by ``main`` here: exit 2, one stderr line, nothing written."""
    assert main(["resynthesize", *args, "--out-dir", str(out), "--threads", "1"]) == 2
    captured = capsys.readouterr()
    result = subprocess.CompletedProcess(args, 2, captured.out, captured.err)
    message = one_line_error(result)
    assert not out.exists()
    return message


def test_an_empty_token_line_names_the_file_and_line(flow_exp, inputs, tmp_path, capsys) -> None:
    args = ["--model", str(flow_exp), "--tokens", str(inputs["empty.txt"]), "--prompt", str(inputs["voice.wav"])]
    assert refused_in_process(args, tmp_path / "out", capsys) == f"{inputs['empty.txt']}:2: b: no speech tokens"


def test_an_unreadable_prompt_is_one_line(flow_exp, inputs, tmp_path, capsys) -> None:
    args = ["--model", str(flow_exp), "--tokens", str(inputs["good.txt"]), "--prompt", str(inputs["text.wav"])]
    assert refused_in_process(args, tmp_path / "out", capsys).startswith(f"{inputs['text.wav']}: ")


def test_a_too_short_prompt_is_one_line(flow_exp, inputs, tmp_path, capsys) -> None:
    args = ["--model", str(flow_exp), "--tokens", str(inputs["good.txt"]), "--prompt", str(inputs["short.wav"])]
    message = refused_in_process(args, tmp_path / "out", capsys)
    assert message == f"{inputs['short.wav']}: 0.10 s of audio; a voice prompt needs at least 0.5 s"


def test_a_missing_model_is_one_line(inputs, tmp_path, capsys) -> None:
    args = [
        "--model",
        str(tmp_path / "no_model"),
        "--tokens",
        str(inputs["good.txt"]),
        "--prompt",
        str(inputs["voice.wav"]),
    ]
    message = refused_in_process(args, tmp_path / "out", capsys)
    assert message.startswith(f"{tmp_path / 'no_model'}: ") and "cstk train-flow" in message


def test_a_data_directory_is_resynthesised_from_the_command_line(flow_exp, flow_data, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    args = ["resynthesize", "--model", str(flow_exp), "--data-dir", str(flow_data), "--out-dir", str(out)]
    solver = ["--steps", "2", "--guidance", "1.0", "--temperature", "0.5", "--seed", "5", "--threads", "1"]
    assert main([*args, *solver]) == 0
    assert "Traceback" not in capsys.readouterr().err
    info = json.loads((out / "synthesis.json").read_text())
    assert info["kind"] == "resynthesis" and info["utterances"] == 5 and set(info["skipped"]) == {"spkC_u00"}
    assert info["inference"]["steps"] == 2 and info["inference"]["guidance"] == 1.0 and info["seed"] == 5
    assert info["inference"]["temperature"] == 0.5
    prompts = _utts(out / "prompts")
    assert len(prompts) == 5 and sorted(p.stem for p in (out / "wav").iterdir()) == sorted(prompts)
    utt2spk = _utts(flow_data / "utt2spk")
    assert all(p != u and utt2spk[p] == utt2spk[u] for u, p in prompts.items())


def test_copy_synthesis_from_the_command_line(flow_data, tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["vocode", "--data-dir", str(flow_data), "--out-dir", str(out), "--threads", "1"]) == 0
    shapes = _utts(flow_data / "mel_shape")
    assert sorted(p.stem for p in (out / "wav").iterdir()) == sorted(shapes)
    for utt, shape in shapes.items():
        wave, rate = sf.read(out / "wav" / f"{utt}.wav")
        assert rate == 22050 and len(wave) == int(shape.split(",")[0]) * 256
    assert json.loads((out / "synthesis.json").read_text())["kind"] == "copy synthesis"


def test_giving_both_or_neither_input_is_one_line(flow_exp, flow_data, tmp_path, capsys) -> None:
    base = ["resynthesize", "--model", str(flow_exp), "--out-dir", str(tmp_path / "out")]
    cases = [
        ([], "give either --data-dir"),
        (["--data-dir", str(flow_data), "--tokens", "x"], "give either --data-dir"),
        (["--tokens", "x"], "--tokens and --prompt go together"),
    ]
    for extra, needle in cases:
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "out").exists()


def _utts(path: Path) -> dict[str, str]:
    return dict(line.split() for line in path.read_text().splitlines())
