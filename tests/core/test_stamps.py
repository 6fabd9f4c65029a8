"""The "already done" stamp (cstoolkit.core.stamps): matches, clears, rewrites; a stale key or a missing output is
not done."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cstoolkit.core.stamps import Stamp, fingerprint


def test_a_written_stamp_matches_its_key_and_outputs(tmp_path: Path) -> None:
    out = tmp_path / "feats.scp"
    out.write_text("a 1\n")
    stamp = Stamp(tmp_path / "done.json")
    assert stamp.matches("k1") is None  # nothing written yet
    stamp.write("k1", utterances=3)
    assert json.loads(stamp.path.read_text()) == {"fingerprint": "k1", "utterances": 3}
    assert stamp.matches("k1", [out]) == {"fingerprint": "k1", "utterances": 3}
    assert stamp.matches("k2", [out]) is None  # stale key
    out.unlink()
    assert stamp.matches("k1", [out]) is None  # a missing output


def test_clear_removes_the_stamp_first_then_the_outputs(tmp_path: Path) -> None:
    outputs = [tmp_path / "a", tmp_path / "b"]
    for path in outputs:
        path.write_text("x")
    stamp = Stamp(tmp_path / "done.json")
    stamp.write({"model": "m", "steps": (1, 2)})
    assert stamp.matches({"steps": [1, 2], "model": "m"})  # compared as JSON: tuples are lists, order is free
    stamp.clear(*outputs, tmp_path / "never-written")
    assert not stamp.path.exists() and not any(p.exists() for p in outputs)
    assert stamp.matches({"model": "m", "steps": [1, 2]}) is None
    stamp.write("again")
    assert stamp.matches("again") == {"fingerprint": "again"}


def test_unreadable_or_foreign_stamps_are_not_done(tmp_path: Path) -> None:
    stamp = Stamp(tmp_path / "done.json")
    for text in ("{not json", "[1, 2]", '{"other": "k"}', ""):
        stamp.path.write_text(text)
        assert stamp.matches("k") is None, text


def test_a_stamp_that_is_the_key(tmp_path: Path) -> None:
    stamp = Stamp(tmp_path / "key.json", field=None)
    key = {"model": "/m", "decode": {"beam": 4}}
    stamp.write(key)
    assert json.loads(stamp.path.read_text()) == key
    assert stamp.matches(key) == key
    assert stamp.matches({**key, "decode": {"beam": 5}}) is None
    with pytest.raises(TypeError):
        stamp.write(key, extra=1)


def test_fingerprint_follows_settings_and_files(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"1234")
    files = {"utt1": str(audio), "utt0": str(tmp_path / "missing.wav")}
    base = fingerprint({"n": 1}, files=files)
    assert base == fingerprint({"n": 1}, files=dict(reversed(files.items())))  # a mapping is sorted by name
    assert base != fingerprint({"n": 2}, files=files)
    assert base != fingerprint({"n": 1}, files=list(files.values()))  # unnamed lines differ from named ones
    audio.write_bytes(b"12345")  # another size
    changed = fingerprint({"n": 1}, files=files)
    assert changed != base
    os.utime(audio, ns=(1, 1))  # another mtime
    assert fingerprint({"n": 1}, files=files) != changed
    assert fingerprint(b"raw", "text") == fingerprint(b"rawtext")  # bytes and str are hashed as they are
