"""Small file helpers shared by the training and decoding stages: atomic writes and Kaldi-style maps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cstoolkit.data.atomic import atomic_path, atomic_write_text
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import InputFileError

#: the averaged model a training run leaves in its experiment folder (named here, where importing costs no torch)
AVERAGED = "model.pth"


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented UTF-8 JSON."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def atomic_save(path: str | Path, save_fn: Callable[[Path], object]) -> None:
    """Call ``save_fn(tmp_path)`` then rename the result onto ``path`` (for torch.save, matplotlib, ...)."""
    with atomic_path(path, suffix=Path(path).suffix) as tmp:
        save_fn(tmp)


def write_kaldi_map(path: str | Path, items: Iterable[tuple[str, str]]) -> None:
    """Atomically write ``key value`` lines sorted by key (Kaldi ``text``/``hyp.txt`` format)."""
    lines = [f"{key} {value}".rstrip() + "\n" for key, value in sorted(items)]
    atomic_write_text(path, "".join(lines))


def read_kaldi_map(path: str | Path, allow_empty_value: bool = True) -> dict[str, str]:
    """Read a Kaldi ``key value...`` file (empty values allowed) with the shared ``read_kaldi_file``."""
    return read_kaldi_file(path, allow_empty_value=allow_empty_value)


def make_out_dir(out_dir: str | Path, stale: Iterable[str] = ()) -> Path:
    """Create ``out_dir`` and delete the files named in ``stale`` (an earlier run's outputs) from it.

    InputFileError when ``out_dir`` or one of its parents is a file.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(out_dir, "output folder exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputFileError(out_dir, "cannot create the output folder: a parent is a file") from None
    for name in stale:
        (out_dir / name).unlink(missing_ok=True)
    return out_dir


def load_state(path: str | Path) -> dict:
    """The state dict saved at ``path`` (``model.pth``, on the CPU); InputFileError naming the file when it cannot be
    read or holds something else."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputFileError(path, f"cannot load weights: {why}") from None
    if not isinstance(state, dict):
        raise InputFileError(path, "not a state dict of model weights")
    return state


def load_weights(model: Any, path: str | Path) -> None:
    """Load ``path`` into ``model``; InputFileError when its tensors do not fit the model built from config.yaml."""
    from cstoolkit.train.trainer import shape_differences

    state = load_state(path)
    differ = shape_differences(state, model.state_dict())
    if differ:
        raise InputFileError(path, f"does not match config.yaml ({len(differ)} tensors differ, e.g. {differ[0]})")
    model.load_state_dict(state)


def write_run_config(exp_dir: str | Path, cfg: Any, **groups: Any) -> None:
    """Write ``exp_dir/config.yaml``: the composed ``cfg`` (resolved) with the config ``groups`` given here replacing
    its own (a model group with the values measured from the data filled in, the architecture of loaded weights)."""
    from omegaconf import OmegaConf

    from cstoolkit.asr.checks import CONFIG_FILE

    saved = cfg.copy()
    OmegaConf.set_struct(saved, False)
    for name, group in groups.items():
        saved[name] = group
    atomic_write_text(Path(exp_dir) / CONFIG_FILE, OmegaConf.to_yaml(saved, resolve=True))
