"""Fake semantic backends for tests that check *when* the model runs, not what it says."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest


class CountingBackend:
    """Deterministic embeddings from character counts; records every text it is asked to embed."""

    signature = "counting@test"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for char in text:
                rows[i, ord(char) % 64] += 1.0
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]


class ExplodingBackend:
    """Fails the test if anything asks it to embed."""

    signature = "exploding@test"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError(f"the model must not run here, got {list(texts)}")


@pytest.fixture
def counting() -> CountingBackend:
    return CountingBackend()


@pytest.fixture
def exploding() -> ExplodingBackend:
    return ExplodingBackend()
