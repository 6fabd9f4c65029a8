""" "Already done" stamps: a JSON file written last into an output folder, naming the inputs and settings it was
made from, so that a re-run with the same ones skips the work and a killed run is redone.

The protocol, the same for every stage that uses it::

    stamp = Stamp(out_dir / "features.json")
    key = fingerprint(settings, files=audio)       # or any JSON-able key
    if stamp.matches(key, needed_files=outputs):   # the stored record, or None
        return                                     # already done
    stamp.clear(*outputs)                          # first: the folder stops looking finished
    ...                                            # (re)write the outputs
    stamp.write(key, utterances=n)                 # last, atomically

:func:`fingerprint` hashes settings and, optionally, input files by path, size and modification time (the audio of
a ``wav.scp``), so that a changed setting or a replaced file makes the stage run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cstoolkit.core.atomic import atomic_write_json

#: the record field that holds the key, unless a stamp is made with another
KEY_FIELD = "fingerprint"


def fingerprint(*parts: Any, files: Mapping[str, str | Path] | Iterable[str | Path] = ()) -> str:
    """SHA-1 hex digest of ``parts`` in order, then of ``files``.

    A ``bytes`` part is hashed as it is, a ``str`` as UTF-8, anything else as its JSON (sorted keys; ``str()`` for
    what JSON cannot hold). ``files`` adds one line per file, ``<path> <size> <mtime_ns>`` (``-1 -1`` for a missing
    file): in the given order for a list of paths, sorted by name and prefixed with it (``<name> <path> ...``) for
    a mapping such as ``{uttid: audio path}``.
    """
    digest = hashlib.sha1()
    for part in parts:
        if isinstance(part, bytes):
            digest.update(part)
        elif isinstance(part, str):
            digest.update(part.encode())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    named = sorted(files.items()) if isinstance(files, Mapping) else ((None, path) for path in files)
    for name, path in named:
        st = os.stat(path) if os.path.exists(path) else None
        line = f"{path} {st.st_size if st else -1} {st.st_mtime_ns if st else -1}\n"
        digest.update((line if name is None else f"{name} {line}").encode())
    return digest.hexdigest()


class Stamp:
    """The "already done" record of an output folder: the JSON file ``path``, holding the key under ``field``
    (``"fingerprint"``) next to what the caller records. With ``field=None`` the file holds the key itself."""

    def __init__(self, path: str | Path, field: str | None = KEY_FIELD) -> None:
        self.path = Path(path)
        self.field = field

    def read(self) -> Any:
        """The stored record (with ``field``: a dict), or None when the file is missing or unreadable."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if self.field is None or isinstance(record, dict) else None

    def matches(self, key: Any, needed_files: Iterable[str | Path] = ()) -> Any:
        """The stored record when it was written with ``key`` (compared as JSON) and every file of ``needed_files``
        still exists; None otherwise (the work must be done)."""
        record = self.read()
        if record is None:
            return None
        stored = record if self.field is None else record.get(self.field)
        if stored != json.loads(json.dumps(key, sort_keys=True, default=str)):
            return None
        return record if all(Path(name).is_file() for name in needed_files) else None

    def clear(self, *outputs: str | Path) -> None:
        """Remove the stamp, then the files ``outputs`` (those of an earlier run): from now on the folder does not
        look finished. Call it before any output is rewritten."""
        for path in (self.path, *outputs):
            Path(path).unlink(missing_ok=True)

    def write(self, key: Any, **record: Any) -> None:
        """Write the stamp atomically: ``{field: key, **record}``, or the key alone without a field. Call it last,
        when every output is complete."""
        if self.field is None:
            if record:
                raise TypeError("a stamp without a key field records the key only")
            atomic_write_json(self.path, key)
        else:
            atomic_write_json(self.path, {self.field: key, **record})
