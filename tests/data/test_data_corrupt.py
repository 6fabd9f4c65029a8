"""Robustness conditions (cstoolkit.data.corrupt) and ``cstk corrupt`` on a toy data directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from data_helpers import make_data_dir

from cstoolkit.cli.cstk import main as cstk_main
from cstoolkit.data.corrupt import CONDITIONS, STAMP_FILE, corrupt_all, corrupt_data_dir
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.data.validate import validate_data_dir
from cstoolkit.errors import ConfigError, InputFileError

SR = 16000


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return make_data_dir(tmp_path_factory.mktemp("corrupt"))


def test_every_condition_gives_a_valid_data_dir(data_dir, tmp_path):
    reports = corrupt_all(data_dir, list(CONDITIONS), tmp_path / "out", seed=3, num_jobs=1)
    assert [r.condition for r in reports] == list(CONDITIONS)
    source = read_kaldi_file(data_dir / "text")
    for report in reports:
        out = tmp_path / "out" / report.condition
        assert report.utterances == 6 and not report.failed
        assert validate_data_dir(out, sample_rate=SR) == [], report.condition
        assert read_kaldi_file(out / "text") == source
        assert (out / STAMP_FILE).is_file()
        assert all(Path(p).parent == out / "wav" for p in read_kaldi_file(out / "wav.scp").values())
    dur = {r.condition: float(read_kaldi_file(Path(r.out_dir) / "utt2dur")["spk0-utt0"]) for r in reports}
    assert dur["clean"] == pytest.approx(0.4, abs=1e-3)
    assert dur["speed_0.9"] == pytest.approx(0.4 / 0.9, abs=1e-3)
    assert dur["speed_1.1"] == pytest.approx(0.4 / 1.1, abs=1e-3)
    clean, _ = sf.read(tmp_path / "out" / "clean" / "wav" / "spk0-utt0.wav", dtype="float32")
    noisy, _ = sf.read(tmp_path / "out" / "white_10db" / "wav" / "spk0-utt0.wav", dtype="float32")
    snr = 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean((noisy - clean).astype(np.float64) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)


def test_deterministic_and_seeded(data_dir, tmp_path):
    a = corrupt_data_dir(data_dir, "babble_15db", tmp_path / "a", seed=1, num_jobs=1)
    b = corrupt_data_dir(data_dir, "babble_15db", tmp_path / "b", seed=1, num_jobs=2)
    c = corrupt_data_dir(data_dir, "babble_15db", tmp_path / "c", seed=2, num_jobs=1)
    assert a.utterances == b.utterances == c.utterances == 6
    wav = "wav/spk1-utt0.wav"
    assert (tmp_path / "a" / wav).read_bytes() == (tmp_path / "b" / wav).read_bytes()
    assert (tmp_path / "a" / wav).read_bytes() != (tmp_path / "c" / wav).read_bytes()
    again = corrupt_data_dir(data_dir, "babble_15db", tmp_path / "a", seed=1, num_jobs=1)
    assert again.skipped and again.utterances == 6
    (tmp_path / "a" / STAMP_FILE).unlink()  # as after a run killed before its end: done again
    redone = corrupt_data_dir(data_dir, "babble_15db", tmp_path / "a", seed=1, num_jobs=1)
    assert not redone.skipped and (tmp_path / "a" / STAMP_FILE).is_file()
    assert (tmp_path / "a" / wav).read_bytes() == (tmp_path / "b" / wav).read_bytes()


def test_features_for_decoding(data_dir, tmp_path):
    from omegaconf import OmegaConf

    from cstoolkit.config import load_config

    features = OmegaConf.to_container(load_config().features, resolve=True)
    report = corrupt_data_dir(data_dir, "telephone_8k", tmp_path / "tel", seed=0, features_cfg=features)
    out = tmp_path / "tel"
    assert report.features
    assert validate_data_dir(out, sample_rate=SR) == []
    assert set(read_kaldi_file(out / "feats.scp")) == set(read_kaldi_file(out / "wav.scp"))
    assert (out / "features.json").is_file() and (out / "utt2num_frames").is_file()
    assert json.loads((out / STAMP_FILE).read_text())["features"] is True


def test_unreadable_audio_is_skipped_and_reported(tmp_path):
    src = make_data_dir(tmp_path, speakers=2)
    bad = Path(read_kaldi_file(src / "wav.scp")["spk1-utt1"])
    bad.write_bytes(b"not audio at all")
    report = corrupt_data_dir(src, "pink_20db", tmp_path / "out", seed=0)
    assert list(report.failed) == ["spk1-utt1"]
    assert "wav.scp:4" in report.failed["spk1-utt1"]
    assert report.utterances == 3
    assert validate_data_dir(tmp_path / "out", sample_rate=SR) == []
    assert "spk1-utt1" not in read_kaldi_file(tmp_path / "out" / "text")


def test_bad_inputs(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="clean, white_30db"):
        corrupt_data_dir(data_dir, "white_5db", tmp_path / "x")
    with pytest.raises(InputFileError, match="not found"):
        corrupt_data_dir(tmp_path / "missing", "clean", tmp_path / "x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match=r"wav\.scp"):
        corrupt_data_dir(tmp_path / "empty", "clean", tmp_path / "x")
    one = make_data_dir(tmp_path / "one", speakers=1)
    with pytest.raises(ConfigError, match="at least 2 speakers"):
        corrupt_data_dir(one, "babble_15db", tmp_path / "x")
    with pytest.raises(ConfigError, match="outside the data directory"):
        corrupt_data_dir(data_dir, "clean", data_dir / "clean")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(InputFileError, match="not written by cstk corrupt"):
        corrupt_data_dir(data_dir, "clean", tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    (tmp_path / "mine" / "wav").mkdir()  # a user's data directory, not ours to replace
    (tmp_path / "mine" / "wav.scp").write_text("")
    with pytest.raises(InputFileError, match="not written by cstk corrupt"):
        corrupt_data_dir(data_dir, "clean", tmp_path / "mine")


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cstk_main(["corrupt", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d, t: ["--condition", "nope", "--data-dir", str(d), "--out-dir", str(t / "o")], "unknown condition"),
        (lambda d, t: ["--condition", "clean", "--data-dir", str(t / "no"), "--out-dir", str(t / "o")], "not found"),
        (lambda d, t: ["--condition", "all", "--data-dir", str(t), "--out-dir", str(t / "o")], "wav.scp"),
    ],
)
def test_cli_bad_input_one_line_exit_2(data_dir, tmp_path, capsys, make_args, message):
    code, out, err = run_cli([*make_args(data_dir, tmp_path), "--no-features"], capsys)
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("cstk corrupt: error:")
    assert "Traceback" not in err


def test_cli_babble_one_speaker(tmp_path, capsys):
    one = make_data_dir(tmp_path / "one", speakers=1)
    code, _, err = run_cli(["--condition", "all", "--data-dir", str(one), "--out-dir", str(tmp_path / "o")], capsys)
    assert code == 2 and "at least 2 speakers" in err
    assert not (tmp_path / "o" / "clean").exists()  # checked before anything is written


def test_cli_reports_bad_audio_and_exits_2(tmp_path, capsys):
    src = make_data_dir(tmp_path, speakers=2)
    Path(read_kaldi_file(src / "wav.scp")["spk0-utt1"]).write_bytes(b"junk")
    args = ["--condition", "speed_1.1", "--data-dir", str(src), "--out-dir", str(tmp_path / "o"), "--no-features"]
    code, _, err = run_cli(args, capsys)
    errors = [line for line in err.splitlines() if line.startswith("cstk corrupt: error:")]
    assert code == 2 and len(errors) == 1 and "spk0-utt1" in errors[0]
    assert validate_data_dir(tmp_path / "o", sample_rate=SR) == []


def test_augmented_copies_of_a_split(tmp_path):
    from omegaconf import OmegaConf

    from cstoolkit.config import load_config
    from cstoolkit.data.corrupt import augmented_copy_dirs, make_augmented_copies

    root = tmp_path / "work"
    make_data_dir(root)  # root/data/test
    cfg = load_config(["augment.split=test", "augment.copies=2"])
    augment = OmegaConf.to_container(cfg.augment, resolve=True)
    features = OmegaConf.to_container(cfg.features, resolve=True)
    reports = make_augmented_copies(root / "data", augment, 1, features)
    dirs = augmented_copy_dirs(root / "data", "test")
    assert [d.name for d in dirs] == ["copy1", "copy2"] and not any(r.skipped or r.failed for r in reports)
    for d in dirs:
        assert validate_data_dir(d, sample_rate=SR) == []
        assert set(read_kaldi_file(d / "feats.scp")) == set(read_kaldi_file(root / "data" / "test" / "text"))
    one, two = (sf.read(d / "wav" / "spk0-utt0.wav", dtype="float32")[0] for d in dirs)
    assert one.shape != two.shape or not np.allclose(one, two)  # every copy has its own draw
    assert all(r.skipped for r in make_augmented_copies(root / "data", augment, 1, features))  # made once
    make_augmented_copies(root / "data", {**augment, "copies": 1}, 1, features)
    assert [d.name for d in augmented_copy_dirs(root / "data", "test")] == ["copy1"]  # stale copy2 removed
    assert make_augmented_copies(root / "data", {**augment, "copies": 0}, 1, features) == []
    assert augmented_copy_dirs(root / "data", "test") == []
