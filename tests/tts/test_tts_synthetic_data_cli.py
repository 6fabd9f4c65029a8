"""``cstk synthetic-data --tts``: generated sentences spoken by the tiny TTS of tests/tts/t2s_fixtures.py ``tts_exp``
in the voices of its train split, through the flow model its t2s.json names or the one ``--flow`` names; a flow
model of other speech tokens, or ``--flow`` without ``--tts``, is one stderr line and exit 2 with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cstoolkit.cli.cstk import main
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.data.synthetic import SOURCE_FILE


@pytest.fixture(scope="module")
def gen_text(tmp_path_factory) -> Path:
    from cstoolkit.text.generate import Settings, generate
    from cstoolkit.text.generate.output import write_output

    out = tmp_path_factory.mktemp("gen") / "gen_text"
    write_output(out, generate(Settings(pairs=("zh-en",), kinds=("insertion",), per_pair=2, seed=5)))
    return out


@pytest.fixture
def moved_tts(tts_exp, tmp_path) -> tuple[Path, Path]:
    """A copy of the TTS whose t2s.json names a flow directory that is gone, and a copy of the flow model."""
    tts, flow = tmp_path / "tts", tmp_path / "flow_elsewhere"
    shutil.copytree(tts_exp / "tts", tts, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    shutil.copytree(tts_exp / "flow", flow, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    info = json.loads((tts / "t2s.json").read_text())
    (tts / "t2s.json").write_text(json.dumps({**info, "flow_dir": str(tmp_path / "flow_gone")}))
    return tts, flow


def _run(args: list, capsys) -> tuple[int, str, str]:
    code = main(["synthetic-data", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_tts_speaks_through_the_flow_model_named_by_flow(tts_exp, gen_text, moved_tts, tmp_path, capsys) -> None:
    tts, flow = moved_tts
    common = ["--text-dir", gen_text, "--speakers-from", tts_exp / "train", "--tts", tts]
    code, _, err = _run([*common, "--out-dir", tmp_path / "data" / "without"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "flow_gone" in err, err
    assert not (tmp_path / "data" / "without").exists()

    out = tmp_path / "data" / "train_tts"
    code, stdout, err = _run([*common, "--flow", flow, "--out-dir", out], capsys)
    assert code == 0, err[-3000:]
    wavs = read_kaldi_file(out / "wav.scp")
    assert len(wavs) == 2 and "2 utterances" in stdout
    assert set(read_kaldi_file(out / SOURCE_FILE).values()) == {"tts"}
    speakers = set(read_kaldi_file(tts_exp / "train" / "utt2spk").values())
    assert set(read_kaldi_file(out / "utt2spk").values()) <= speakers
    assert all(Path(path).stat().st_size > 1000 for path in wavs.values())


def test_a_flow_model_of_other_tokens_or_without_tts_is_refused(tts_exp, gen_text, tmp_path, capsys) -> None:
    flow = tmp_path / "flow"
    shutil.copytree(tts_exp / "flow", flow, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    info = json.loads((flow / "flow.json").read_text())
    (flow / "flow.json").write_text(json.dumps({**info, "token_rate_hz": 50.0}))
    out = tmp_path / "out"
    common = ["--text-dir", gen_text, "--speakers-from", tts_exp / "train", "--out-dir", out, "--flow", flow]
    code, stdout, err = _run([*common, "--tts", tts_exp / "tts"], capsys)
    assert code == 2 and stdout == "" and len(err.splitlines()) == 1, err
    assert "t2s.json" in err and "token_rate_hz" in err
    code, stdout, err = _run([*common, "--espeak"], capsys)
    assert code == 2 and stdout == "" and len(err.splitlines()) == 1 and "--flow" in err, err
    assert not out.exists()
