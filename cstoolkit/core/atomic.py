"""Atomic writes: write under a temporary name in the same folder, then rename (a crash leaves no half file)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _new_file_mode(existing: Path, default: int = 0o666) -> int:
    """Mode for a replacement file or folder: the existing one's, else what ``open()``/``mkdir()`` would give
    (``default``, 0666 for files and 0777 for folders, minus the umask)."""
    try:
        return stat.S_IMODE(existing.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return default & ~umask


@contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``, on error removed.

    ``suffix`` keeps an extension on the temporary name for libraries that pick a format from it (".flac").
    A symbolic link is written through (the link stays, its target is replaced); a device or pipe (/dev/stdout) is
    written directly, as renaming over it would destroy it. The new file gets the old file's mode, or the umask's.
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    if path.exists() and not path.is_file():
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        os.chmod(tmp_path, _new_file_mode(path))
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_lines(path: str | Path, lines: list[str]) -> None:
    """Write one line per item (newline-terminated) atomically."""
    atomic_write_text(path, "".join(f"{line}\n" for line in lines))


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary folder next to ``path``; on success it replaces ``path`` as a whole.

    A previous ``path`` is moved aside first and deleted after the rename, so readers see either the old complete
    folder or the new complete one, never a mixture. The new folder gets the old one's mode, or the umask's. A file
    or link at ``path`` is refused (NotADirectoryError) before anything is written: it is not ours to replace.
    """
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder (refusing to replace it)", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, _new_file_mode(path, default=0o777))
        yield tmp
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old.{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_temporaries(folder: str | Path, recursive: bool = False) -> int:
    """Delete leftovers of killed writers (``.<name>.*.tmp*`` and ``.<name>.old.*``) in ``folder``; return count.

    Only one run may write into a folder at a time: a concurrent writer's temporaries would be deleted too.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    count = 0
    entries = list(folder.rglob(".*") if recursive else folder.iterdir())
    for entry in entries:
        if not entry.exists():
            continue
        if entry.name.startswith(".") and (".tmp" in entry.name or ".old." in entry.name):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            count += 1
    return count


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented UTF-8 JSON."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def atomic_save(path: str | Path, save_fn: Callable[[Path], object]) -> None:
    """Call ``save_fn(tmp_path)`` then rename the result onto ``path`` (for torch.save, matplotlib, ...)."""
    with atomic_path(path, suffix=Path(path).suffix) as tmp:
        save_fn(tmp)


def make_out_dir(out_dir: str | Path, stale: Iterable[str] = ()) -> Path:
    """Create ``out_dir`` and delete the files named in ``stale`` (an earlier run's outputs) from it.

    InputFileError when ``out_dir`` or one of its parents is a file.
    """
    from cstoolkit.errors import InputFileError

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(out_dir, "output folder exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputFileError(out_dir, "cannot create the output folder: a parent is a file") from None
    for name in stale:
        (out_dir / name).unlink(missing_ok=True)
    return out_dir
