"""Checks made before a model is loaded or a file is written: config values, devices, model and output folders.

This module imports neither torch nor ESPnet, so a CLI can refuse a bad option or a missing model in milliseconds.
All ASR, trainer and Whisper config values are checked here, against the rules below, by one function each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from cstoolkit.config import Rule, check_config, choice, number, whole
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.metrics.scoring import REPORT_FILES
from cstoolkit.train.io import AVERAGED

CONFIG_FILE, UNITS_SUBDIR = "config.yaml", "units"
TOKENS_PATH = f"{UNITS_SUBDIR}/tokens.txt"
MODEL_FILE = AVERAGED
DECODE_OUTPUTS = ("hyp.txt", "decode.json", "utt2detected_lang")

#: ``asr.decode`` values (decoding and transcribe)
DECODE_RULES: dict[str, Rule] = {
    "method": choice("beam", "greedy"),
    "beam_size": whole(1),
    "ctc_weight": number(0, 1),
    "penalty": number(),
    "maxlenratio": number(0),
    "minlenratio": number(0),
    "batch_frames": whole(1),
}

#: ``asr`` values used by training (the module keys are checked by ESPnet when the model is built)
TRAIN_RULES: dict[str, Rule] = {
    "input_size": whole(1),
    "model.ctc_weight": number(0, 1),
    "batch.max_frames": whole(1),
    "batch.max_batch_size": whole(1),
    "batch.num_workers": whole(0),
    "batch.max_frames_per_utt": whole(1),
    "batch.max_tokens_per_utt": whole(1),
    "train.max_epochs": whole(1),
    "train.grad_clip": number(0),
    "train.accum_grad": whole(1),
    "train.keep_nbest": whole(1),
    "train.max_nonfinite_steps": whole(0),
    "train.save_every_n_steps": whole(0),
    "train.dev_decode_utts": whole(0),
    "scheduler.warmup_steps": whole(1),
}

#: ``trainer`` values (the hardware part of training)
TRAINER_RULES: dict[str, Rule] = {
    "accelerator": choice("cpu", "gpu", "cuda", "auto"),
    "num_nodes": whole(1),
    "num_threads": whole(1),
    "log_every_n_steps": whole(1),
}

#: CTranslate2 compute types (``ctranslate2.get_supported_compute_types`` lists those a device runs)
COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16",
                 "bfloat16", "float32")  # fmt: skip

WHISPER_RULES: dict[str, Rule] = {
    "device": choice("auto", "cpu", "cuda"),
    "compute_type": choice(*COMPUTE_TYPES),
    "gpu_compute_type": choice(*COMPUTE_TYPES),
    "cpu_threads": whole(0),
    "beam_size": whole(1),
    "task": choice("transcribe", "translate"),
}


def check_decode_config(decode_cfg: DictConfig) -> None:
    """ConfigError naming the first bad ``asr.decode`` value."""
    check_config(decode_cfg, DECODE_RULES, "asr.decode")


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


def check_train_config(cfg: DictConfig) -> None:
    """All values ``train-asr`` uses: ``asr`` training and decoding values, ``trainer``, ``seed``."""
    check_config(cfg.asr, TRAIN_RULES, "asr")
    check_decode_config(cfg.asr.decode)
    check_trainer_config(cfg.trainer)


def check_whisper_config(cfg: DictConfig) -> str:
    """Check the ``whisper`` group; return the device to use (``cpu`` or ``cuda``)."""
    check_config(cfg, WHISPER_RULES, "whisper")
    language = cfg.get("language")
    if language is not None:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        if language not in _LANGUAGE_CODES:
            raise ConfigError(
                f"bad configuration value whisper.language={language!r}: expected null (detect) or a Whisper "
                f"language code such as en, zh, es"
            )
    return resolve_device(str(cfg.device), f"whisper.device={cfg.device}", _ctranslate2_cuda_count)


def _torch_cuda_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _ctranslate2_cuda_count() -> int:
    import ctranslate2

    return ctranslate2.get_cuda_device_count()


def resolve_device(name: str, what: str = "--device", cuda_count: Callable[[], int] | None = None) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; ``gpu`` means ``cuda``; ``cuda[:N]`` must exist.

    ``what`` names the option in the error message; ``cuda_count`` counts the GPUs (default: torch's count).
    """
    cuda_count = cuda_count or _torch_cuda_count
    name = name.strip().lower()
    if name == "cpu":
        return name
    if name == "auto":
        return "cuda" if cuda_count() > 0 else "cpu"
    kind, _, index = name.partition(":")
    if kind not in ("cuda", "gpu") or (index and not index.isdigit()):
        raise ConfigError(f"{what}: unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    count = cuda_count()
    if count == 0:
        raise ConfigError(f"{what}: no CUDA GPU is visible on this machine; use the CPU (cpu) instead")
    if index and int(index) >= count:
        raise ConfigError(f"{what}: GPU {index} does not exist ({count} visible)")
    return "cuda" + (f":{index}" if index else "")


def read_model_config(model_dir: str | Path, weights: str = MODEL_FILE) -> DictConfig:
    """The composed config saved in a trained model directory; InputFileError if the directory is incomplete."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InputFileError(model_dir, "not a trained model directory (run cstk train-asr)")
    for name in (CONFIG_FILE, weights, TOKENS_PATH):
        if not (model_dir / name).is_file():
            raise InputFileError(model_dir / name, "missing: not a trained model directory (run cstk train-asr)")
    try:
        cfg = OmegaConf.load(model_dir / CONFIG_FILE)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputFileError(model_dir / CONFIG_FILE, f"not a readable YAML config: {first}") from None
    if not isinstance(cfg, DictConfig) or not isinstance(cfg.get("asr"), DictConfig):
        raise InputFileError(model_dir / CONFIG_FILE, "has no 'asr' section: not written by cstk train-asr")
    for key in ("asr.input_size", "asr.decode", "features.fbank.sample_rate"):
        if OmegaConf.select(cfg, key) is None:
            raise InputFileError(model_dir / CONFIG_FILE, f"has no {key}: not written by cstk train-asr")
    return cfg


def decode_config(model_cfg: DictConfig, composed: DictConfig, overrides: list[str]) -> DictConfig:
    """The model's own ``asr.decode`` settings with the user's explicit ``asr.decode.KEY=VALUE`` overrides on top.

    Every other setting of the model (architecture, features) comes from its ``config.yaml``; the values of the
    overrides are read from ``composed`` (the config Hydra composed from them), so they are typed as Hydra types them.
    """
    decode = OmegaConf.create(OmegaConf.to_container(model_cfg.asr.decode, resolve=True))
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if key.startswith("asr.decode.") and "=" in override:
            OmegaConf.update(decode, key[len("asr.decode.") :], OmegaConf.select(composed, key), force_add=True)
    check_decode_config(decode)
    return decode


def prepare_out_dir(out_dir: str | Path) -> Path:
    """Create ``out_dir`` and delete the outputs of an earlier decoding (hypotheses, scores) from it.

    Called before any decoding starts, so a path that is a file is refused at once, and a failed or unscored run
    never leaves an older run's results looking like its own.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(out_dir, "output folder exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputFileError(out_dir, "cannot create the output folder: a parent is a file") from None
    for name in (*DECODE_OUTPUTS, *REPORT_FILES):
        (out_dir / name).unlink(missing_ok=True)
    return out_dir
