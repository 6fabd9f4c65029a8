"""Average the weights of several checkpoints (ESPnet's ``valid.loss.ave_N best``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from cstoolkit.core.modeldir import load_state
from cstoolkit.errors import InputFileError


def average_checkpoints(paths: Sequence[str | Path], prefix: str = "") -> dict[str, torch.Tensor]:
    """Element-wise mean of the floating-point tensors of Lightning checkpoints (or plain state dicts).

    Only keys starting with ``prefix`` are kept, with the prefix removed (``"model."`` turns a LightningModule's
    state dict into the wrapped model's). Integer buffers (counters) are taken from the first checkpoint.
    """
    if not paths:
        raise InputFileError("<checkpoints>", "no checkpoint to average")
    total: dict[str, torch.Tensor] = {}
    for path in paths:
        state = load_state(path, key="state_dict")
        state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        if not total:
            total = {k: v.clone().double() if v.is_floating_point() else v.clone() for k, v in state.items()}
            continue
        if state.keys() != total.keys():
            raise InputFileError(path, "checkpoint has different parameters from the first one")
        for key, value in state.items():
            if value.is_floating_point():
                total[key] += value.double()
    n = len(paths)
    return {k: (v / n).float() if v.is_floating_point() else v for k, v in total.items()}
