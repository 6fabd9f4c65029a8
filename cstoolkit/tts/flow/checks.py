"""Flow-model checks made before torch is imported: the files of a trained flow model directory."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from cstoolkit.core.modeldir import ModelKind, read_model_dir

FLOW_INFO = "flow.json"
#: a trained flow model directory (``cstk train-flow``)
FLOW_MODEL = ModelKind("flow model", "cstk train-flow", keys=("flow.model",), info=FLOW_INFO)


def read_flow_config(model_dir: str | Path) -> tuple[DictConfig, dict]:
    """The composed config and ``flow.json`` of a trained flow model directory; InputFileError if incomplete."""
    flow = read_model_dir(model_dir, FLOW_MODEL)
    return flow.cfg, flow.info
