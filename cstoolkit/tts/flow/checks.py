"""Flow-model checks made before torch is imported: the files of a trained flow model directory."""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.modeldir import CONFIG_FILE, WEIGHTS_FILE
from cstoolkit.errors import InputFileError

FLOW_INFO = "flow.json"


def read_flow_config(model_dir: str | Path) -> tuple[DictConfig, dict]:
    """The composed config and ``flow.json`` of a trained flow model directory; InputFileError if incomplete."""
    model_dir = Path(model_dir)
    hint = "not a trained flow model directory (run cstk train-flow)"
    if not model_dir.is_dir():
        raise InputFileError(model_dir, hint)
    for name in (CONFIG_FILE, WEIGHTS_FILE, FLOW_INFO):
        if not (model_dir / name).is_file():
            raise InputFileError(model_dir / name, f"missing: {hint}")
    try:
        cfg = OmegaConf.load(model_dir / CONFIG_FILE)
        info = json.loads((model_dir / FLOW_INFO).read_text(encoding="utf-8"))
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputFileError(model_dir, f"unreadable config.yaml or flow.json: {first}") from None
    if not isinstance(cfg, DictConfig) or OmegaConf.select(cfg, "flow.model") is None:
        raise InputFileError(model_dir / CONFIG_FILE, f"has no flow.model: {hint}")
    return cfg, info
