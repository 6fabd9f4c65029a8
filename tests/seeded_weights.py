"""The weights a seeded tiny training run gives, recorded once and compared in every later run.

A refactoring must not change what a model learns: the tests that train a tiny model with a fixed seed (the ASR,
the tokenizer, the flow model, the NAR and AR text -> token models) compare its averaged weights with the
fingerprint recorded in ``tests/fixtures/seeded_weights.json`` by an earlier version of the code.

A fingerprint keeps, per tensor, its sum and its projection on a fixed pseudo-random +-1 vector (float64). Both
move by about the tensor's L2 norm when anything real changes (another initialisation order, another batch order, a
loss term added), and by about 1e-6 of it between CPUs, BLAS kernels and thread counts. The tolerance, ``RTOL``
times the tensor's norm plus ``ATOL`` times the square root of its size, lies between the two.

Record (only after a change that is meant to change the weights): ``CSTK_RECORD_WEIGHTS=1 pytest -k seeded``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).parent / "fixtures" / "seeded_weights.json"
RTOL = 2e-3
#: per-element floor: attention biases get almost no gradient, so Adam turns float noise into steps there
ATOL = 1e-4
RECORD_ENV = "CSTK_RECORD_WEIGHTS"


def fingerprint(state: dict) -> dict[str, list[float]]:
    """``{name: [sum, projection, l2 norm]}`` of every floating-point tensor of a state dict."""
    out = {}
    for name, tensor in sorted(state.items()):
        if not hasattr(tensor, "is_floating_point") or not tensor.is_floating_point():
            continue
        values = tensor.detach().double().flatten().numpy()
        signs = np.random.default_rng(len(values)).choice([-1.0, 1.0], size=len(values))
        out[name] = [float(values.sum()), float(values @ signs), float(np.linalg.norm(values))]
    return out


def check_weights(name: str, model_path: str | Path) -> None:
    """Assert that the weights at ``model_path`` match the fingerprint recorded as ``name`` (or record it)."""
    import torch

    state = torch.load(model_path, map_location="cpu", weights_only=True)
    got = fingerprint(state)
    recorded = json.loads(FIXTURE.read_text()) if FIXTURE.is_file() else {}
    if os.environ.get(RECORD_ENV):
        recorded[name] = got
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n")
        return
    want = recorded[name]
    assert sorted(got) == sorted(want), f"{name}: other tensors than recorded"
    bad = []
    for key, values in want.items():
        tol = RTOL * values[2] + ATOL * state[key].numel() ** 0.5
        if any(abs(a - b) > tol for a, b in zip(got[key], values)):
            bad.append(f"{key}: {got[key]} vs recorded {values} (tolerance {tol:.2g})")
    assert not bad, f"{name}: {len(bad)} of {len(want)} tensors differ from the recorded run, e.g. {bad[:3]}"
