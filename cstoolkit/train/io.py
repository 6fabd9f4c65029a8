"""Small file helpers shared by the training and decoding stages: atomic writes and Kaldi-style maps."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cstoolkit.errors import InputFileError


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename (never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented UTF-8 JSON."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def atomic_save(path: str | Path, save_fn) -> None:
    """Call ``save_fn(tmp_path)`` then rename the result onto ``path`` (for torch.save, matplotlib, ...)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_fn(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_kaldi_map(path: str | Path, items: Iterable[tuple[str, str]]) -> None:
    """Atomically write ``key value`` lines sorted by key (Kaldi ``text``/``hyp.txt`` format)."""
    lines = [f"{key} {value}".rstrip() + "\n" for key, value in sorted(items)]
    atomic_write_text(path, "".join(lines))


def read_kaldi_map(path: str | Path, allow_empty_value: bool = True) -> dict[str, str]:
    """Read a Kaldi ``key value...`` file into a dict; InputFileError names the line of a bad or duplicate key."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            key, _, value = line.strip().partition(" ")
            value = value.strip()
            if not value and not allow_empty_value:
                raise InputFileError(path, f"no value for key {key!r}", line=lineno)
            if key in out:
                raise InputFileError(path, f"duplicate key {key!r}", line=lineno)
            out[key] = value
    return out
