"""Text -> token model checks made before torch is imported: config values, a trained model directory, and the
flow model directory it speaks through."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from cstoolkit.config import Rule, check_config, number, whole
from cstoolkit.core.modeldir import TOKENS_PATH, ModelDir, ModelKind, read_model_dir
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.train.checks import check_model_config, check_trainer_config
from cstoolkit.tts.flow.checks import read_flow_config

log = logging.getLogger(__name__)

T2S_INFO = "t2s.json"
#: a trained text -> token model directory (``cstk train-t2s``)
T2S_MODEL = ModelKind("T2S model", "cstk train-t2s", files=(TOKENS_PATH,), keys=("t2s.model",), info=T2S_INFO)

#: ``t2s`` values besides the shared ones
RULES: dict[str, Rule] = {
    "batch.max_tokens_per_utt": whole(1),
    "model.speaker_dim": whole(0),
    "model.speaker_drop_prob": number(0, 1),
    "model.d_model": whole(2),
    "model.heads": whole(1),
    "model.encoder_layers": whole(0),
    "model.dropout": number(0, 1),
    "inference.duration_scale": number(0, low_open=True),
    "inference.temperature": number(0),
    "inference.top_k": whole(0),
    "inference.batch_size": whole(1),
}
_ABSENT = object()
#: values of one model kind, checked where its config has them (NarT2S, ArT2S)
MODEL_RULES: dict[str, Rule] = {
    "model.decoder_layers": whole(0),
    "model.duration_layers": whole(0),
    "model.max_unit_frames": whole(1),
    "model.lm_layers": whole(1),
    "model.top_p": number(0, 1, low_open=True),
    "model.ras_window": whole(1),
    "model.ras_threshold": number(0, 1),
    "model.min_len_ratio": number(0),
    "model.max_len_ratio": number(0, low_open=True),
}


FLOW_DIR_KEY = "flow_dir"  # in t2s.json: the flow model directory (cstk train-flow) that speaks the tokens


def check_flow_dir(flow_dir: str | Path, t2s_info: dict, where: str | Path = T2S_INFO) -> Path:
    """The resolved flow model directory after checking that it speaks this model's speech tokens: the same
    codebook and token rate (another tokenizer directory with the same numbers is logged), and a speaker embedding
    of the size the T2S model takes. InputFileError otherwise (``where`` names the T2S side)."""
    flow_dir = Path(flow_dir)
    cfg, info = read_flow_config(flow_dir)
    for key in ("codebook_size", "token_rate_hz"):
        ours, theirs = t2s_info.get(key), info.get(key)
        if ours is None or theirs is None or abs(float(ours) - float(theirs)) > 1e-6:
            raise InputFileError(
                where,
                f"{key} {ours} but the flow model {flow_dir} has {theirs}: they must come "
                f"from the same speech tokenizer",
            )
    spk, flow_spk = int(t2s_info.get("speaker_dim") or 0), int(cfg.flow.model.speaker_dim)
    if spk and spk != flow_spk:
        raise InputFileError(
            where,
            f"speaker_dim {spk} but the flow model {flow_dir} takes {flow_spk}-d speaker "
            f"embeddings: the voice prompt's embedding feeds both",
        )
    ours, theirs = t2s_info.get("tokenizer"), info.get("tokenizer")
    if ours and theirs and Path(ours).resolve() != Path(theirs).resolve():
        log.warning(
            "%s: tokenizer %s, the flow model %s was trained on %s (same codebook and rate)",
            where,
            ours,
            flow_dir,
            theirs,
        )
    return flow_dir.resolve()


def check_t2s_config(cfg: DictConfig, training: bool = True) -> None:
    """ConfigError naming the first bad ``t2s`` (and, for training, ``trainer``) value."""
    check_model_config(cfg.t2s, "t2s")
    check_config(cfg.t2s, RULES, "t2s")
    present = {k: r for k, r in MODEL_RULES.items() if OmegaConf.select(cfg.t2s, k, default=_ABSENT) is not _ABSENT}
    check_config(cfg.t2s, present, "t2s")
    low, high = (OmegaConf.select(cfg.t2s, f"model.{k}_len_ratio") for k in ("min", "max"))
    if low is not None and high is not None and not low < high:
        raise ConfigError(
            f"bad configuration values t2s.model.min_len_ratio={low}, max_len_ratio={high}: expected min < max"
        )
    if training:
        check_trainer_config(cfg.trainer)


def read_t2s_dir(model_dir: str | Path) -> ModelDir:
    """A checked T2S model directory (config, ``t2s.json``); InputFileError if it is incomplete."""
    return read_model_dir(model_dir, T2S_MODEL)
