"""Hydra configuration: one composed config for every stage, built from ``conf/`` plus command-line overrides."""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig

from cstoolkit.errors import ConfigError

#: The repository's ``conf/`` folder; ``CSTK_CONF_DIR`` points elsewhere (a user's copy of the configs).
DEFAULT_CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def conf_dir() -> Path:
    """Folder holding ``config.yaml`` and the config groups."""
    return Path(os.environ.get("CSTK_CONF_DIR", DEFAULT_CONF_DIR)).resolve()


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
