import subprocess
import sys
from pathlib import Path

import pytest
from test_data_kaldi_dir import utts

from cstoolkit.data.kaldi_dir import write_data_dir
from cstoolkit.data.validate import validate_data_dir


@pytest.fixture
def good_dir(tmp_path: Path, flac_files) -> Path:
    items = utts(flac_files)
    for item, path in zip(items, [*flac_files, flac_files[0]], strict=True):
        import soundfile as sf

        item.duration = sf.info(path).duration
    return write_data_dir(tmp_path / "train", items)


def test_valid_directory_has_no_problem(good_dir: Path):
    assert validate_data_dir(good_dir) == []


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda d: (d / "utt2lang").unlink(), "utt2lang: required file is missing"),
        (lambda d: _edit(d / "text", "spkA_x hi\n", "") or _edit(d / "text", "\n", "\nspkA_x hi\n"), "not sorted"),
        (lambda d: _edit(d / "utt2spk", "spkA_x spkA", "spkA_x spkB"), "not prefixed by speaker spkB"),
        (lambda d: _edit(d / "spk2utt", "spkB spkB_0 ", "spkB "), "speaker spkB lists"),
        (lambda d: _edit(d / "utt2dur", "spkB_1 ", "spkB_1 9"), "audio lasts"),
        (lambda d: _edit(d / "utt2lang", "zh-en", "Mandarin"), "is not like 'zh-en'"),
        (lambda d: _edit(d / "utt2seg.jsonl", "shopping", "walking"), "segments do not spell"),
        (lambda d: _edit(d / "text", "spkB_2 ", "spkB_3 "), "spkB_2"),
        (lambda d: _edit(d / "wav.scp", "spkB_0 /", "spkB_0 /no/such/dir/"), "audio file not found"),
        (lambda d: _edit(d / "text", "hi\n", "hi \n"), "trailing"),
        (lambda d: _edit(d / "manifest.jsonl", '"hi"', '"ho"'), "manifest text differs"),
    ],
)
def test_each_breakage_is_explained(good_dir: Path, breakage, expected):
    breakage(good_dir)
    problems = [str(p) for p in validate_data_dir(good_dir)]
    assert any(expected in p for p in problems), problems


def test_cli_exit_codes(good_dir: Path):
    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "validate-data"]
    ok = subprocess.run([*cmd, str(good_dir.parent)], capture_output=True, text=True)
    assert ok.returncode == 0 and "OK (4 utterances)" in ok.stdout
    _edit(good_dir / "utt2lang", "zh-en", "Mandarin")
    bad = subprocess.run([*cmd, str(good_dir)], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "utt2lang" in bad.stderr and "1 problem(s)" in bad.stdout


def test_speaker_order_must_match_utterance_order(tmp_path: Path, flac_files):
    from cstoolkit.data.kaldi_dir import Utterance

    audio = str(flac_files[0].resolve())
    utts = [Utterance(f"{spk}_0", spk, audio, "hi", "es-en", 1.0) for spk in ("sl-1", "sl-10")]
    problems = [str(p) for p in validate_data_dir(write_data_dir(tmp_path / "d", utts), check_audio=False)]
    assert any("sorting by speaker gives another order" in p for p in problems), problems
    fixed = [Utterance(f"{spk}-0", spk, audio, "hi", "es-en", 1.0) for spk in ("sl-1", "sl-10")]
    assert validate_data_dir(write_data_dir(tmp_path / "e", fixed), check_audio=False) == []
