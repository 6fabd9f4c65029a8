from pathlib import Path

import pytest

from cstoolkit.data.atomic import atomic_dir, atomic_path, atomic_write_text, remove_stale_temporaries


def test_atomic_write_replaces_whole_file(tmp_path: Path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "one\n")
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failed_write_keeps_old_content_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_dir_swaps_complete_folders(tmp_path: Path):
    target = tmp_path / "train"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(ValueError), atomic_dir(target) as tmp:
        (tmp / "b").write_text("2")
        raise ValueError
    assert sorted(p.name for p in target.iterdir()) == ["a"]
    with atomic_dir(target) as tmp:
        (tmp / "c").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_remove_stale_temporaries(tmp_path: Path):
    (tmp_path / ".train.abc.tmp").mkdir()
    (tmp_path / ".text.x.tmp").write_text("x")
    (tmp_path / "keep").write_text("x")
    assert remove_stale_temporaries(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]


def test_remove_stale_temporaries_recursive(tmp_path: Path):
    (tmp_path / "zh-en").mkdir()
    (tmp_path / "zh-en" / ".spk01_x.flac.abc.tmp.flac").write_text("x")
    (tmp_path / "zh-en" / "spk01_x.flac").write_text("x")
    assert remove_stale_temporaries(tmp_path) == 0
    assert remove_stale_temporaries(tmp_path, recursive=True) == 1
    assert [p.name for p in (tmp_path / "zh-en").iterdir()] == ["spk01_x.flac"]
