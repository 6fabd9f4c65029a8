"""Tokenizer checks made before torch is imported: config values, file names of a tokenizer directory."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from cstoolkit.asr.checks import check_decode_config
from cstoolkit.config import FLAG, Rule, check_config, choice, number, whole
from cstoolkit.core.modeldir import TOKENS_PATH, ModelKind, read_model_dir
from cstoolkit.errors import InputFileError
from cstoolkit.train.checks import check_model_config, check_trainer_config

INFO_FILE = "tokenizer.json"
TOKENS_FILE = "speech_tokens"  # in a data directory: ``uttid t1 t2 ...``
REPORT_JSON, REPORT_PNG = "report.json", "report.png"

#: ``tokenizer`` values besides the shared ones (the quantizer's own keys are checked when it is built)
RULES: dict[str, Rule] = {
    "init_from_asr": FLAG,
    "quantize_after": whole(1),
    "quantizer": choice("vq", "fsq"),
    "mask_conv_padding": FLAG,
    "train.dev_decode_utts": whole(0),
    "batch.max_tokens_per_utt": whole(1),
    "extract.batch_frames": whole(1),
    "extract.tie_margin": number(0),
}


def check_tokenizer_config(cfg: DictConfig, training: bool = True) -> None:
    """ConfigError naming the first bad ``tokenizer`` (and, for training, ``trainer``/``asr.decode``) value."""
    if training:
        check_model_config(cfg.tokenizer, "tokenizer")
        check_trainer_config(cfg.trainer)
        check_decode_config(cfg.asr.decode)
    check_config(cfg.tokenizer, RULES, "tokenizer")


def read_tokenizer_info(tokenizer_dir: str | Path) -> tuple[int, float]:
    """``(codebook_size, token_rate_hz)`` from a tokenizer directory's ``tokenizer.json``; InputFileError if it is
    not there or not readable."""
    import json

    path = Path(tokenizer_dir) / INFO_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return int(info["codebook_size"]), float(info["token_rate_hz"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        why = f"not a speech tokenizer's info file ({err}): run cstk train-tokenizer"
        raise InputFileError(path, why) from None


#: a trained speech tokenizer directory (``cstk train-tokenizer``)
TOKENIZER_MODEL = ModelKind(
    "tokenizer",
    "cstk train-tokenizer",
    files=(TOKENS_PATH,),
    keys=("asr.encoder", "asr.decode", "tokenizer.quantizer", "tokenizer.quantize_after", "features.fbank"),
    info=INFO_FILE,
)


def read_tokenizer_config(model_dir: str | Path) -> DictConfig:
    """The composed config of a trained tokenizer directory; InputFileError if the directory is incomplete."""
    return read_model_dir(model_dir, TOKENIZER_MODEL).cfg
