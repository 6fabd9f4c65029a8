"""prepare(): the demo corpus and a release into the same work dir, report and plots, no stale split left."""

import json
from pathlib import Path

from data_helpers import TINY_MINI, make_fake_release

from cstoolkit.config import load_config
from cstoolkit.data.kaldi_dir import read_data_dir
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
