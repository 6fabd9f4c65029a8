"""Hydra configuration: one composed config for every stage, built from ``conf/`` plus command-line overrides."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from cstoolkit.errors import ConfigError

#: The repository's ``conf/`` folder; ``CSTK_CONF_DIR`` points elsewhere (a user's copy of the configs).
DEFAULT_CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def conf_dir() -> Path:
    """Folder holding ``config.yaml`` and the config groups."""
    return Path(os.environ.get("CSTK_CONF_DIR", DEFAULT_CONF_DIR)).resolve()


#: ``${div:a,b}``: a value one group derives from another's (the flow model's mel frame rate from the features
#: stage's sample rate and hop); a run's saved config.yaml holds the resolved number.
OmegaConf.register_new_resolver("div", lambda a, b: float(a) / float(b), replace=True)


def load_config(overrides: list[str] | None = None, config_name: str = "config") -> DictConfig:
    """Compose ``conf/<config_name>.yaml`` with Hydra overrides such as ``asr.encoder.num_blocks=6``.

    Raises ConfigError (one line) for an unknown key, group option or malformed override.
    """
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
            return compose(config_name=config_name, overrides=list(overrides or []))
    except (HydraException, OmegaConfBaseException) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"bad configuration override: {first_line}") from None


@dataclass(frozen=True)
class Rule:
    """What one config value must be: a type (int, float, str, bool), optional bounds, optional allowed values."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[Any, ...] = ()
    optional: bool = False  # null (None) is accepted too

    def describe(self) -> str:
        """The allowed values in words, for the error message."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        words = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}[self.kind]
        if self.low is not None:
            words += f" {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            words += f"{' and' if self.low is not None else ''} <= {self.high:g}"
        return words + (" or null" if self.optional else "")

    def accepts(self, value: Any) -> bool:
        """True when ``value`` has the right type, lies within the bounds and is one of the choices (if any)."""
        if value is None and self.optional:
            return True
        if self.kind is float:
            ok_type = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        elif self.kind is int:
            ok_type = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok_type = isinstance(value, self.kind)
        if not ok_type or (self.choices and value not in self.choices):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high


def whole(low: int | None = None, high: int | None = None) -> Rule:
    """An integer in ``[low, high]``."""
    return Rule(int, low, high)


def number(
    low: float | None = None, high: float | None = None, low_open: bool = False, allow_none: bool = False
) -> Rule:
    """A finite number in ``[low, high]`` (``(low, high]`` with ``low_open``; also null with ``allow_none``)."""
    return Rule(float, low, high, low_open, optional=allow_none)


def choice(*values: Any) -> Rule:
    """One of ``values``."""
    return Rule(type(values[0]), choices=values)


FLAG = Rule(bool)


def check_config(cfg: Any, rules: dict[str, Rule], prefix: str) -> None:
    """Raise ConfigError naming the first key of ``rules`` (dotted, below ``cfg``) whose value breaks its rule.

    ``prefix`` is the config path of ``cfg`` (e.g. ``features``), so the message names the key as overridden.
    """
    from omegaconf import OmegaConf

    for key, rule in rules.items():
        value = OmegaConf.select(cfg, key) if OmegaConf.is_config(cfg) else _select(cfg, key)
        if not rule.accepts(value):
            raise ConfigError(f"bad configuration value {prefix}.{key}={value!r}: expected {rule.describe()}")


def _select(tree: dict[str, Any], key: str) -> Any:
    """``tree["a"]["b"]`` for ``key`` "a.b" (None where a part is missing)."""
    for part in key.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree
