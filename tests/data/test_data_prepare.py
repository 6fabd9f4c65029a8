"""prepare(): the demo corpus and a release into the same work dir, report and plots, no stale split left."""

import json
import re
from pathlib import Path

import pytest
from data_helpers import TINY_MINI, make_fake_release

from cstoolkit.config import load_config
from cstoolkit.data.kaldi_dir import read_data_dir, write_data_dir
from cstoolkit.data.prepare import prepare
from cstoolkit.data.validate import validate_data_dir


def test_demo_then_release_leaves_no_stale_split(tmp_path: Path):
    out = tmp_path / "data"
    cfg = load_config([*TINY_MINI, "data.plots=true"]).data
    report = prepare(None, out, cfg, num_jobs=1)
    assert report["splits"]["train"]["utterances"] == 3 * 4 * 2 and report["skipped"] == 0
    assert sorted(report["splits"]["test"]["pairs"]) == ["de-en", "ja-en", "zh-en"]
    assert (out / "plots" / "mini_durations.png").is_file()
    assert json.loads((out / "prepare_report.json").read_text())["corpus"] == "mini"
    assert all(validate_data_dir(out / s) == [] for s in ("train", "dev", "test"))

    release = make_fake_release(tmp_path / "release")
    only_train = load_config(["data.switchlingua.dev_ratio=0", "data.switchlingua.test_ratio=0"]).data
    report = prepare(release, out, only_train, num_jobs=1)
    assert report["corpus"] == "switchlingua" and report["splits"]["train"]["utterances"] == 11
    assert not (out / "dev").exists() and not (out / "test").exists()
    assert {u.meta["corpus"] for u in read_data_dir(out / "train")} == {"switchlingua"}


def test_no_usable_training_utterance_writes_and_logs_the_reasons(tmp_path: Path, caplog):
    from data_helpers import _csv

    from cstoolkit.errors import CstkError

    root = tmp_path / "release"
    _csv(root / "German.csv", ["filename", "text"], [["1_0.m4a", "Das project ist gut"], ["2_0.m4a", " "]])
    out = tmp_path / "data"
    with caplog.at_level("WARNING"), pytest.raises(CstkError, match="no usable training utterance"):
        prepare(root, out, load_config(["data.plots=false"]).data, num_jobs=1)
    report = json.loads((out / "prepare_report.json").read_text())
    assert report["failed"] and report["skipped"] == 2
    assert "German/1_0.m4a: audio file missing" in caplog.text and "empty transcript" in caplog.text
    from cstoolkit.data.validate import validate_prepared

    assert any("last prepare run failed" in str(p) for p in validate_prepared(out, []))


def test_killed_prepare_does_not_look_complete(tmp_path: Path, monkeypatch):
    import cstoolkit.data.prepare as prep
    from cstoolkit.data.validate import validate_prepared

    out = tmp_path / "data"
    cfg = load_config(TINY_MINI).data
    prepare(None, out, cfg, num_jobs=1)
    splits = [out / s for s in ("train", "dev", "test")]
    assert validate_prepared(out, splits) == []
    calls = []

    def killed_after_train(path, utts, check=None):
        if calls:
            raise KeyboardInterrupt
        calls.append(path)
        return write_data_dir(path, utts[:-1], check=check)

    monkeypatch.setattr(prep, "write_data_dir", killed_after_train)
    with pytest.raises(KeyboardInterrupt):
        prepare(None, out, cfg, num_jobs=1)
    problems = [str(p) for p in validate_prepared(out, splits)]
    assert problems and "prepare_report.json: missing" in problems[0]


def test_a_file_where_a_split_belongs_is_refused_untouched(tmp_path: Path):
    from cstoolkit.errors import InputFileError

    out = tmp_path / "data"
    out.mkdir()
    (out / "train").write_text("not a folder")
    with pytest.raises(InputFileError, match=r"data/train: exists and is not a folder"):
        prepare(None, out, load_config(TINY_MINI).data, num_jobs=1)
    assert sorted(p.name for p in out.iterdir()) == ["train"] and (out / "train").read_text() == "not a folder"


@pytest.mark.parametrize(
    "override, expected",
    [
        ("data.switchlingua.dev_ratio=abc", "data.switchlingua.dev_ratio='abc': expected a number >= 0 and <= 1"),
        ("data.switchlingua.dev_ratio=2", "data.switchlingua.dev_ratio=2"),
        ("data.min_duration=abc", "data.min_duration='abc'"),
        ("data.audio_format=xyz", "data.audio_format='xyz': expected one of flac, wav"),
        ("data.sample_rate=0", "data.sample_rate=0: expected a whole number >= 1"),
        ("data.switchlingua.multi_turn=foo", "data.switchlingua.multi_turn='foo': expected one of join, skip"),
    ],
)
def test_bad_config_values_are_config_errors(tmp_path: Path, override: str, expected: str):
    from cstoolkit.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(expected)):
        prepare(tmp_path, tmp_path / "data", load_config([override]).data, num_jobs=1)
    assert not (tmp_path / "data").exists()


def test_cli_takes_overrides_around_options_and_rejects_bad_nj(tmp_path: Path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "prepare", "--work_dir", str(tmp_path)]
    argv = [*cmd, "data.plots=false", "--nj", "1", "data.sample_rate=0"]
    mixed = subprocess.run(argv, capture_output=True, text=True)
    assert mixed.returncode == 2 and "data.sample_rate=0" in mixed.stderr, mixed.stderr
    for nj in ("0", "-1"):
        bad = subprocess.run([*cmd, "--nj", nj], capture_output=True, text=True)
        assert bad.returncode == 2 and "--nj" in bad.stderr and "Traceback" not in bad.stderr
