"""Loading one feature matrix (fbank, mel, an embedding) from a kaldiio specifier or a ``.npy`` file."""

from __future__ import annotations

import numpy as np


class FeatureDimError(ValueError):
    """Features of another dimension than the model takes: a setup error, not a corrupt file."""


def load_features(spec: str, dim: int | None = None) -> np.ndarray:
    """Load one (T, D) float32 matrix from a kaldiio specifier (``file.ark:offset``) or a ``.npy`` path.

    Raises ValueError with the reason (FeatureDimError when ``dim`` is given and D differs from it).
    """
    import kaldiio

    try:
        mat = np.load(spec) if spec.endswith(".npy") else kaldiio.load_mat(spec)
    except Exception as err:
        reason = " ".join(str(err).split()) or "truncated or corrupt feature file"
        raise ValueError(f"cannot read {spec}: {reason} ({type(err).__name__})") from None
    mat = np.array(mat, dtype=np.float32)  # a writable copy (kaldiio may return a read-only view)
    if mat.ndim != 2 or mat.shape[0] == 0:
        raise ValueError(f"{spec}: expected a non-empty (T, D) matrix, got shape {mat.shape}")
    if dim is not None and mat.shape[1] != dim:
        raise FeatureDimError(
            f"{spec}: {mat.shape[1]}-dim features, but the model takes {dim}-dim ones: "
            "features made with another configuration?"
        )
    return mat
