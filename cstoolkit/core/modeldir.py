"""The one layout of a trained model directory, its reader, its weight loader and its writer.

Every training stage (``cstk train-asr``, ``train-tokenizer``, ``train-flow``, ``train-t2s``) leaves a
self-contained directory::

    config.yaml   the composed config (the model's group with the values measured from the data filled in)
    model.pth     the averaged weights (a plain state dict)
    units/        the text units (ASR, tokenizer, text -> token models)
    <kind>.json   what inference needs beyond the config (tokenizer.json, flow.json, t2s.json)

:func:`read_model_dir` checks such a directory before torch is imported, so a CLI refuses a missing or broken model
in milliseconds, and maps the names of older releases onto today's (:data:`LEGACY_TARGETS`, :data:`LEGACY_GROUPS`):
a directory trained before the package was reorganised loads as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.atomic import atomic_write_json, atomic_write_text
from cstoolkit.errors import InputFileError

CONFIG_FILE = "config.yaml"
WEIGHTS_FILE = "model.pth"
UNITS_SUBDIR = "units"
TOKENS_PATH = f"{UNITS_SUBDIR}/tokens.txt"
SKIPPED_FILE = "skipped_utts.json"  # utterances a training run left out, with the reason

#: ``_target_`` paths of model directories written before the flow and text -> token models got their own rooms
LEGACY_TARGETS = {
    "cstoolkit.tts.lightning.FlowLightningModule": "cstoolkit.tts.flow.lightning.FlowLightningModule",
    "cstoolkit.tts.flow_model.FlowModel": "cstoolkit.tts.flow.model.FlowModel",
    "cstoolkit.tts.token_encoder.TokenEncoder": "cstoolkit.tts.flow.token_encoder.TokenEncoder",
    "cstoolkit.tts.estimator.Estimator": "cstoolkit.tts.flow.estimator.Estimator",
    "cstoolkit.tts.speaker.SpeakerEncoder": "cstoolkit.tts.pretrained.speaker.SpeakerEncoder",
    "cstoolkit.tts.vocoder.Vocoder": "cstoolkit.tts.pretrained.vocoder.Vocoder",
    "cstoolkit.tts.t2s_lightning.T2SLightningModule": "cstoolkit.tts.t2s.lightning.T2SLightningModule",
    "cstoolkit.tts.t2s_model.NarT2S": "cstoolkit.tts.t2s.nar.NarT2S",
    "cstoolkit.tts.t2s_ar.ArT2S": "cstoolkit.tts.t2s.ar.ArT2S",
}
#: config groups renamed since (old name -> new name): the flow model's group was called ``tts``
LEGACY_GROUPS = {"tts": "flow"}


@dataclass(frozen=True)
class ModelKind:
    """What makes a directory a trained model of one kind.

    ``files``: needed besides ``config.yaml`` and the weights; ``keys``: config keys that must be set; ``info``: the
    JSON side file read with the config (also needed).
    """

    name: str
    command: str
    files: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    info: str | None = None

    @property
    def hint(self) -> str:
        return f"not a trained {self.name} directory (run {self.command})"


@dataclass
class ModelDir:
    """A checked model directory: its path, composed config and info file (empty when the kind has none)."""

    path: Path
    cfg: DictConfig
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def weights(self) -> Path:
        return self.path / WEIGHTS_FILE


def read_model_dir(model_dir: str | Path, kind: ModelKind, weights: str = WEIGHTS_FILE) -> ModelDir:
    """Check ``model_dir`` as a trained model of ``kind`` and read its config (legacy names mapped) and info file.

    InputFileError naming the first missing file, an unreadable YAML or JSON file, or a missing config key.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InputFileError(model_dir, kind.hint)
    needed = (CONFIG_FILE, weights, *kind.files, *((kind.info,) if kind.info else ()))
    for name in needed:
        if not (model_dir / name).is_file():
            raise InputFileError(model_dir / name, f"missing: {kind.hint}")
    cfg = _read_yaml(model_dir / CONFIG_FILE)
    for key in kind.keys:
        if OmegaConf.select(cfg, key) is None:
            raise InputFileError(model_dir / CONFIG_FILE, f"has no {key}: {kind.hint}")
    info = read_json(model_dir / kind.info, kind.hint) if kind.info else {}
    return ModelDir(model_dir, cfg, info)


def read_json(path: Path, hint: str) -> dict[str, Any]:
    """A JSON object file; InputFileError naming it (and ``hint``) when it cannot be read or is not an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"not readable ({_first_line(err)}): {hint}") from None
    if not isinstance(value, dict):
        raise InputFileError(path, f"not a JSON object: {hint}")
    return value


def _read_yaml(path: Path) -> DictConfig:
    try:
        cfg = OmegaConf.load(path)
    except Exception as err:
        raise InputFileError(path, f"not a readable YAML config: {_first_line(err)}") from None
    if not isinstance(cfg, DictConfig):
        raise InputFileError(path, "not a YAML mapping: not written by a cstk training stage")
    return upgrade_legacy_config(cfg)


def upgrade_legacy_config(cfg: DictConfig) -> DictConfig:
    """``cfg`` with renamed groups (:data:`LEGACY_GROUPS`) and ``_target_`` paths (:data:`LEGACY_TARGETS`) of older
    releases replaced by today's; a config of this release comes back unchanged."""
    data = OmegaConf.to_container(cfg, resolve=False)
    for old, new in LEGACY_GROUPS.items():
        if old in data and new not in data and isinstance(data[old], dict) and "model" in data[old]:
            data[new] = data.pop(old)
    return OmegaConf.create(_map_targets(data))


def _map_targets(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: LEGACY_TARGETS.get(v, v) if k == "_target_" else _map_targets(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_map_targets(v) for v in node]
    return node


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# -- weights ----------------------------------------------------------------------------------------------------
def load_state(path: str | Path, key: str | None = None) -> dict:
    """The state dict saved at ``path`` (on the CPU): a plain state dict (``model.pth``), or the ``key`` entry of a
    Lightning checkpoint (``key="state_dict"``). InputFileError naming the file when it cannot be read or holds
    something else."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=key is None, mmap=key is not None)
    except Exception as err:
        raise InputFileError(path, f"cannot load weights: {_first_line(err)}") from None
    if key is not None:
        state = state.get(key, state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise InputFileError(path, "not a state dict of model weights")
    return state


def shape_differences(saved: Mapping[str, Any], mine: Mapping[str, Any]) -> list[str]:
    """Sorted names of the tensors that are in only one state dict or have another shape in the other."""
    return sorted(
        k for k in set(saved) | set(mine) if k not in saved or k not in mine or saved[k].shape != mine[k].shape
    )


def load_weights(model: Any, path: str | Path, explain: Callable[[dict], Exception | None] | None = None) -> None:
    """Load ``path`` into ``model``; InputFileError when its tensors do not fit the model built from config.yaml
    (``explain(state)``, when given, may return a more telling error for that case, e.g. units of another run)."""
    state = load_state(path)
    differ = shape_differences(state, model.state_dict())
    if differ:
        better = explain(state) if explain is not None else None
        if better is not None:
            raise better
        raise InputFileError(path, f"does not match config.yaml ({len(differ)} tensors differ, e.g. {differ[0]})")
    model.load_state_dict(state)


def load_model(model_dir: ModelDir, build: Callable[[DictConfig], Any], device: Any = "cpu") -> Any:
    """``build(cfg)`` with the directory's weights loaded, on ``device``, in eval mode."""
    model = build(model_dir.cfg)
    load_weights(model, model_dir.weights)
    return model.to(device).eval()


def write_run_config(exp_dir: str | Path, cfg: Any, **groups: Any) -> None:
    """Write ``exp_dir/config.yaml``: the composed ``cfg`` (resolved) with the config ``groups`` given here replacing
    its own (a model group with the values measured from the data filled in, the architecture of loaded weights)."""
    saved = cfg.copy()
    OmegaConf.set_struct(saved, False)
    for name, group in groups.items():
        saved[name] = group
    atomic_write_text(Path(exp_dir) / CONFIG_FILE, OmegaConf.to_yaml(saved, resolve=True))


def write_model_dir(
    exp_dir: str | Path,
    cfg: Any,
    skipped: Mapping[str, Any],
    info: tuple[str, Mapping[str, Any]] | None = None,
    **groups: Any,
) -> None:
    """What inference needs next to the weights, written once a training run's resume check has passed:
    ``config.yaml`` (:func:`write_run_config` with ``groups``), the ``info`` side file (``(name, content)``, e.g.
    ``flow.json``) and ``skipped_utts.json``. The text units are copied by the stages that read text
    (:func:`cstoolkit.text.tokens.copy_units`)."""
    exp_dir = Path(exp_dir)
    write_run_config(exp_dir, cfg, **groups)
    if info is not None:
        atomic_write_json(exp_dir / info[0], dict(info[1]))
    atomic_write_json(exp_dir / SKIPPED_FILE, dict(skipped))
