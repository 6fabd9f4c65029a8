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
    ok = subprocess.run([*cmd, str(good_dir)], capture_output=True, text=True)
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


def _bytes_edit(path: Path, old: bytes, new: bytes) -> None:
    path.write_bytes(path.read_bytes().replace(old, new, 1))


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda d: _bytes_edit(d / "text", b"", b"\xef\xbb\xbf"), "text:1: starts with a UTF-8 byte order mark"),
        (lambda d: _bytes_edit(d / "text", b"hi\n", b"hi\r\n"), "text:1: carriage return at the end of the line"),
        (lambda d: _bytes_edit(d / "text", b"hi\n", b"h\xffi\n"), "text:1: not valid UTF-8 (byte 9 of the line)"),
    ],
)
def test_encoding_problems_are_one_line_each_with_the_line(good_dir: Path, breakage, expected):
    breakage(good_dir)
    problems = [str(p) for p in validate_data_dir(good_dir)]
    assert expected in problems[0] and len(problems) <= 2, problems  # (an undecodable line's id is also missing)


def test_line_separator_inside_a_line_does_not_split_it(good_dir: Path):
    _edit(good_dir / "text", "hi\n", "hi\u2028there\n")
    _edit(good_dir / "manifest.jsonl", '"hi"', '"hi\\u2028there"')
    problems = [str(p) for p in validate_data_dir(good_dir)]
    assert not any("expected '<key> <value>'" in p for p in problems), problems


@pytest.mark.parametrize("rate, channels, expected", [(8000, 1, "sampled at 8000 Hz"), (16000, 2, "2 channels")])
def test_audio_must_be_mono_at_the_expected_rate(tmp_path: Path, rate: int, channels: int, expected: str):
    import numpy as np
    import soundfile as sf

    from cstoolkit.data.kaldi_dir import Utterance

    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros((rate, channels), np.float32), rate)
    path = write_data_dir(tmp_path / "d", [Utterance("s-1", "s", str(audio), "hi", "es-en", 1.0)])
    problems = [str(p) for p in validate_data_dir(path, sample_rate=16000)]
    assert any(expected in p for p in problems), problems


def test_cli_checks_the_prepare_report_and_every_split_folder(good_dir: Path):
    import json

    data = good_dir.parent
    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "validate-data", str(data)]
    missing = subprocess.run(cmd, capture_output=True, text=True)
    assert missing.returncode == 2 and "prepare_report.json: missing" in missing.stderr
    report = {"splits": {"train": {"utterances": 4}, "dev": {"utterances": 0}, "test": {"utterances": 0}}}
    (data / "prepare_report.json").write_text(json.dumps(report))
    (data / ".train.old.123").mkdir()  # a leftover of an interrupted atomic swap: not a split
    (data / ".train.old.123" / "wav.scp").write_text("garbage\n")
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0 and "OK (4 utterances)" in ok.stdout and ".train.old" not in ok.stdout, ok.stderr
    (data / "dev").mkdir()
    no_wav = subprocess.run(cmd, capture_output=True, text=True)
    assert no_wav.returncode == 2 and "dev/wav.scp: required file is missing" in no_wav.stderr, no_wav.stderr
    (data / "dev").rmdir()
    report["splits"]["train"]["utterances"] = 5
    (data / "prepare_report.json").write_text(json.dumps(report))
    mixed = subprocess.run(cmd, capture_output=True, text=True)
    assert mixed.returncode == 2 and "not from the same prepare run" in mixed.stderr
