"""Optional on-disk cache of sentence embeddings, keyed by model signature and text (SQLite, safe to share)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from cstoolkit.errors import InputFileError


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Stores float32 vectors under ``(model signature, sha1(text))``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))"
            )
        except sqlite3.DatabaseError as err:
            raise InputFileError(self.path, f"not a usable embedding cache ({err})") from None

    def get_many(self, model: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for ``texts`` under ``model``; missing texts are absent from the result."""
        by_key = {_key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        keys = list(by_key)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self.db.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({','.join('?' * len(chunk))})",
                [model, *chunk],
            )
            for key, blob in rows:
                found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, texts: list[str], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` for ``texts[i]`` (one transaction)."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(model, _key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors)],
            )

    def close(self) -> None:
        """Close the database."""
        self.db.close()
