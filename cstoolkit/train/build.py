"""Building a model from its config group: values measured from the data, then Hydra's ``instantiate``.

A model group (``conf/flow``, ``conf/t2s``, ...) leaves ``null`` in the ``model:`` keys that depend on the data
(a codebook size, a token rate, feature statistics). The training stage measures them and fills them in with
:func:`fill_from_data`; :func:`build_model` refuses a config where one is still null and turns Hydra's
instantiation errors into one-line ConfigErrors naming the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omegaconf import OmegaConf

from cstoolkit.errors import ConfigError


def fill_from_data(group_cfg: Any, keys: Sequence[str], **values: Any) -> Any:
    """A copy of ``group_cfg`` whose null ``model.<key>`` (for ``key`` in ``keys``; dotted paths allowed) take
    ``values[<last part of key>]``; keys the user set stay as written."""
    cfg = group_cfg.copy()
    for key in keys:
        name = key.rsplit(".", 1)[-1]
        if OmegaConf.select(cfg.model, key) is None and name in values:
            OmegaConf.update(cfg.model, key, values[name])
    return cfg


def build_model(group_cfg: Any, group: str, cls: type, keys: Sequence[str], command: str) -> Any:
    """``instantiate(group_cfg.model)``, checked to be a ``cls``; ConfigError (one line) when a key of ``keys`` is
    still null (``command`` is the stage that fills it) or the node cannot be built."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    unset = [key for key in keys if OmegaConf.select(group_cfg.model, key) is None]
    if unset:
        raise ConfigError(
            f"{group}.model.{unset[0]} is null: it is measured from the data when the model is "
            f"trained ({command}); set it to build a model without training data"
        )
    try:
        model = instantiate(group_cfg.model)
    except InstantiationException as err:  # "Error in call to target '...Estimator':" + the cause
        where = str(err).strip().splitlines()[0].rstrip(":")
        if isinstance(err.__cause__, ConfigError):
            raise ConfigError(f"{err.__cause__} ({group}.model: {where})") from None
        raise ConfigError(f"bad {group}.model configuration: {where}: {err.__cause__}") from None
    if not isinstance(model, cls):
        raise ConfigError(
            f"bad configuration value {group}.model._target_: expected a {cls.__name__}, got {type(model)}"
        )
    return model
