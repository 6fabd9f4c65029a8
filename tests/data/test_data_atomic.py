from pathlib import Path

import pytest

from cstoolkit.core.atomic import atomic_dir, atomic_path, atomic_write_text, remove_stale_temporaries


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


def test_new_files_follow_the_umask_and_replacements_keep_the_mode(tmp_path: Path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        target = tmp_path / "report.html"
        atomic_write_text(target, "x")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o600)
        atomic_write_text(target, "y")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_symbolic_links_are_written_through(tmp_path: Path):
    real = tmp_path / "real.tsv"
    real.write_text("old")
    link = tmp_path / "link.tsv"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_devices_are_written_directly_not_replaced(tmp_path: Path):
    import stat

    atomic_write_text("/dev/null", "nothing")
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_a_directory_target_is_an_error_naming_it(tmp_path: Path):
    with pytest.raises(IsADirectoryError) as info:
        atomic_write_text(tmp_path, "x")
    assert info.value.filename == str(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_atomic_dir_gets_the_umask_mode_and_keeps_an_old_mode(tmp_path: Path):
    import os
    import stat

    old_umask = os.umask(0o022)
    try:
        with atomic_dir(tmp_path / "train") as tmp:
            (tmp / "a").write_text("1")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "train").stat().st_mode) == 0o755
    os.chmod(tmp_path / "train", 0o750)
    with atomic_dir(tmp_path / "train") as tmp:
        (tmp / "b").write_text("2")
    assert stat.S_IMODE((tmp_path / "train").stat().st_mode) == 0o750


def test_atomic_dir_refuses_a_file_in_its_place(tmp_path: Path):
    (tmp_path / "train").write_text("mine")
    with pytest.raises(NotADirectoryError), atomic_dir(tmp_path / "train") as tmp:
        (tmp / "a").write_text("1")
    assert (tmp_path / "train").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]
