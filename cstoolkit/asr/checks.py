"""ASR checks made before a model is loaded or a file is written: config values, model and output folders.

This module imports neither torch nor ESPnet, so a CLI can refuse a bad option or a missing model in milliseconds.
The ASR and Whisper config values are checked here against the rules below; the values every trained model shares
(batch, train, optim, scheduler, trainer) by :mod:`cstoolkit.train.checks`.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from cstoolkit.config import Rule, check_config, choice, number, whole
from cstoolkit.core.atomic import make_out_dir
from cstoolkit.core.modeldir import TOKENS_PATH, WEIGHTS_FILE, ModelKind, read_model_dir
from cstoolkit.core.runtime import resolve_device
from cstoolkit.errors import ConfigError
from cstoolkit.metrics.scoring import REPORT_FILES
from cstoolkit.train.checks import check_model_config, check_trainer_config

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

#: ``asr`` values of training besides the shared ones (the module keys are checked by ESPnet when the model is built)
TRAIN_RULES: dict[str, Rule] = {
    "input_size": whole(1),
    "model.ctc_weight": number(0, 1),
    "batch.max_tokens_per_utt": whole(1),
    "train.dev_decode_utts": whole(0),
}

#: CTranslate2 compute types (``ctranslate2.get_supported_compute_types`` lists those a device runs)
COMPUTE_TYPES = (
    "default",
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)

WHISPER_RULES: dict[str, Rule] = {
    "device": choice("auto", "cpu", "cuda"),
    "compute_type": choice(*COMPUTE_TYPES),
    "gpu_compute_type": choice(*COMPUTE_TYPES),
    "cpu_threads": whole(0),
    "beam_size": whole(1),
    "best_of": whole(1),
    "max_new_tokens_per_second": number(0, low_open=True, allow_none=True),
    "task": choice("transcribe", "translate"),
}


def check_decode_config(decode_cfg: DictConfig) -> None:
    """ConfigError naming the first bad ``asr.decode`` value."""
    check_config(decode_cfg, DECODE_RULES, "asr.decode")


def check_train_config(cfg: DictConfig) -> None:
    """All values ``train-asr`` uses: ``asr`` training and decoding values, ``trainer``, ``seed``."""
    check_model_config(cfg.asr, "asr")
    check_config(cfg.asr, TRAIN_RULES, "asr")
    check_decode_config(cfg.asr.decode)
    check_trainer_config(cfg.trainer)


def check_whisper_config(cfg: DictConfig) -> str:
    """Check the ``whisper`` group; return the device to use (``cpu`` or ``cuda``)."""
    check_config(cfg, WHISPER_RULES, "whisper")
    temps = cfg.get("temperature", 0.0)
    temps = list(temps) if OmegaConf.is_list(temps) else [temps]
    if not temps or not all(isinstance(t, (int, float)) and not isinstance(t, bool) and t >= 0 for t in temps):
        raise ConfigError(
            f"bad configuration value whisper.temperature={cfg.get('temperature')!r}: expected a "
            "number >= 0 or a list of them (tried in turn)"
        )
    language = cfg.get("language")
    if language is not None and language != "utt2lang":
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        if language not in _LANGUAGE_CODES:
            raise ConfigError(
                f"bad configuration value whisper.language={language!r}: expected null (detect), utt2lang (each "
                f"utterance's language from the data dir) or a Whisper language code such as en, zh, es"
            )
    return resolve_device(str(cfg.device), f"whisper.device={cfg.device}", _ctranslate2_cuda_count)


def _ctranslate2_cuda_count() -> int:
    import ctranslate2

    return ctranslate2.get_cuda_device_count()


#: a trained CS-ASR model directory (``cstk train-asr``)
ASR_MODEL = ModelKind(
    "model",
    "cstk train-asr",
    files=(TOKENS_PATH,),
    keys=("asr", "asr.input_size", "asr.decode", "features.fbank.sample_rate"),
)


def read_model_config(model_dir: str | Path, weights: str = WEIGHTS_FILE) -> DictConfig:
    """The composed config saved in a trained model directory; InputFileError if the directory is incomplete."""
    return read_model_dir(model_dir, ASR_MODEL, weights).cfg


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
    """Create a decoding folder and delete an earlier decoding's outputs (hypotheses, scores) from it.

    Called before any decoding starts, so a path that is a file is refused at once, and a failed or unscored run
    never leaves an older run's results looking like its own.
    """
    return make_out_dir(out_dir, (*DECODE_OUTPUTS, *REPORT_FILES))
