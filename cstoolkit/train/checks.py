"""Checks of the config values every trained model shares, made before torch is imported.

A model's config group reuses the ``optim``, ``scheduler``, ``batch`` and ``train`` groups of ``conf/`` and is
trained on the hardware of the ``trainer`` group; their values are checked here, against rule tables, by one
function each (the YAML files hold the defaults). A model adds rules for its own keys in its own package.
"""

from __future__ import annotations

from omegaconf import DictConfig

from cstoolkit.config import FLAG, Rule, check_config, choice, number, whole
from cstoolkit.core.runtime import resolve_device
from cstoolkit.errors import ConfigError

#: values of the shared groups of a model config (``<model>.batch``, ``<model>.train``)
MODEL_RULES: dict[str, Rule] = {
    "batch.max_frames": whole(1),
    "batch.max_batch_size": whole(1),
    "batch.num_workers": whole(0),
    "batch.bucket_shuffle": FLAG,
    "batch.max_frames_per_utt": whole(1),
    "train.max_epochs": whole(1),
    "train.grad_clip": number(0),
    "train.accum_grad": whole(1),
    "train.keep_nbest": whole(1),
    "train.max_nonfinite_steps": whole(0),
    "train.save_every_n_steps": whole(0),
    "train.average": FLAG,
    "train.export_prefix": Rule(str),
}

#: ``<model>.scheduler`` values, per scheduler name (a null name or scheduler: a constant rate)
SCHEDULER_RULES: dict[str, dict[str, Rule]] = {
    "constant": {},
    "warmuplr": {"warmup_steps": whole(1)},
}

#: ``trainer`` values (the hardware part of training)
TRAINER_RULES: dict[str, Rule] = {
    "accelerator": choice("cpu", "gpu", "cuda", "auto"),
    "num_nodes": whole(1),
    "num_threads": whole(1),
    "log_every_n_steps": whole(1),
}


def check_scheduler_config(cfg: DictConfig | None, prefix: str) -> None:
    """ConfigError naming the first bad value of a ``scheduler`` node (``prefix``: its config path)."""
    if cfg is None or cfg.get("name") is None:
        return
    check_config(cfg, {"name": choice(*SCHEDULER_RULES)}, prefix)
    check_config(cfg, SCHEDULER_RULES[cfg.name], prefix)


def check_optim_config(cfg: DictConfig, prefix: str) -> None:
    """An ``optim`` node is one optimizer (``_target_``) or named optimizers, each with ``_target_`` and ``params``
    (the module attribute whose parameters it updates)."""
    if not isinstance(cfg, DictConfig):
        raise ConfigError(f"bad configuration value {prefix}={cfg!r}: expected an optimizer with _target_")
    if "_target_" in cfg:
        return
    if not cfg:
        raise ConfigError(f"bad configuration value {prefix}: expected _target_ or named optimizers")
    for name, node in cfg.items():
        if not isinstance(node, DictConfig) or "_target_" not in node:
            raise ConfigError(f"bad configuration value {prefix}.{name}: expected an optimizer with _target_")
        check_config(node, {"params": Rule(str)}, f"{prefix}.{name}")


def check_model_config(cfg: DictConfig, prefix: str) -> None:
    """ConfigError naming the first bad shared value of the model config ``cfg`` (at config path ``prefix``)."""
    check_config(cfg, MODEL_RULES, prefix)
    check_optim_config(cfg.optim, f"{prefix}.optim")
    check_scheduler_config(cfg.get("scheduler"), f"{prefix}.scheduler")


def check_trainer_config(trainer_cfg: DictConfig, training: bool = True) -> None:
    """ConfigError naming the first bad ``trainer`` value, or a GPU accelerator on a machine without a GPU.

    Decoding (``training`` False) uses only the thread count.
    """
    if not training:
        check_config(trainer_cfg, {"num_threads": TRAINER_RULES["num_threads"]}, "trainer")
        return
    check_config(trainer_cfg, TRAINER_RULES, "trainer")
    if trainer_cfg.accelerator in ("gpu", "cuda"):
        resolve_device("cuda", f"trainer.accelerator={trainer_cfg.accelerator}")
