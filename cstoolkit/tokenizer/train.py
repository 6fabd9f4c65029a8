"""The tokenizer training stage: data directories (+ the trained CS-ASR) -> a tokenizer directory ``exp/tokenizer``.

The directory is self-contained, like the CS-ASR's: ``config.yaml`` (``asr`` holds the architecture used,
``tokenizer`` the quantizer and training), ``units/``, ``model.pth`` (ASR weights + ``quantizer.*``),
``tokenizer.json`` (token rate, codebook size, where the quantizer sits, what it started from) and the training
record (``checkpoints/``, ``logs/``, ``history.jsonl``, ``training_curve.png``, ``train_summary.json``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig

from cstoolkit.asr.checks import read_model_config
from cstoolkit.asr.data import collate_asr
from cstoolkit.asr.train import asr_training_data
from cstoolkit.core.modeldir import WEIGHTS_FILE, load_state, write_model_dir
from cstoolkit.data.asr_input import asr_frame_seconds
from cstoolkit.data.loader import loader_from_config
from cstoolkit.errors import InputFileError
from cstoolkit.text.tokens import TextTokenizer, copy_units
from cstoolkit.tokenizer.checks import INFO_FILE, check_tokenizer_config
from cstoolkit.tokenizer.model import codebook_size, module_config, quantizer_kind, subsampling_factor
from cstoolkit.train.module import build_module
from cstoolkit.train.trainer import FitResult, fit

log = logging.getLogger(__name__)


def starting_point(cfg: DictConfig, asr_dir: str | Path | None) -> tuple[DictConfig, Path | None]:
    """The ASR architecture to build and the CS-ASR model directory to start from (None: from scratch).

    With ``tokenizer.init_from_asr`` and an ``asr_dir`` holding a trained model, its own ``asr`` config (the
    architecture its weights have); otherwise the composed ``asr`` group, trained from scratch (logged).
    """
    if not bool(cfg.tokenizer.init_from_asr) or asr_dir is None:
        return cfg.asr, None
    asr_dir = Path(asr_dir)
    if not (asr_dir / WEIGHTS_FILE).is_file():
        log.warning("no trained CS-ASR in %s (%s missing): the tokenizer trains from scratch", asr_dir, WEIGHTS_FILE)
        return cfg.asr, None
    return read_model_config(asr_dir).asr, asr_dir


def load_asr_weights(model, asr_dir: Path) -> None:
    """Load a trained CS-ASR's ``model.pth`` into the tokenizer model (everything but the quantizer)."""
    path = asr_dir / WEIGHTS_FILE
    state = load_state(path)
    mine = model.state_dict()
    bad = sorted(k for k in state if k not in mine or mine[k].shape != state[k].shape)
    missing = sorted(k for k in mine if k not in state and not k.startswith("quantizer."))
    if bad or missing:
        raise InputFileError(
            path,
            f"does not fit the tokenizer's ASR architecture ({len(bad) + len(missing)} "
            f"tensors differ, e.g. {(bad + missing)[0]})",
        )
    model.load_state_dict(state, strict=False)


def tokenizer_info(model, model_cfg: DictConfig, frame_shift_ms: float, init_from: Path | None) -> dict:
    """What ``tokenizer.json`` says: token rate, codebook size, where the quantizer sits, what it started from."""
    factor = subsampling_factor(model)
    return {
        "token_rate_hz": 1000.0 / (frame_shift_ms * factor),
        "codebook_size": codebook_size(model),
        "quantizer": quantizer_kind(model_cfg),
        "quantize_after": int(model_cfg.quantize_after),
        "encoder_blocks": len(model.encoder.encoders),
        "subsampling_factor": factor,
        "frame_shift_ms": frame_shift_ms,
        "encoder_dim": int(model.encoder.output_size()),
        "initialised_from": str(init_from.resolve()) if init_from else None,
    }


def train_tokenizer(
    train_dir: str | Path,
    dev_dir: str | Path,
    units_dir: str | Path | None,
    exp_dir: str | Path,
    cfg: DictConfig,
    asr_dir: str | Path | None = None,
    stats_file: str | Path | None = None,
) -> FitResult:
    """Train the tokenizer on ``train_dir`` (validated on ``dev_dir``) into ``exp_dir``; resumes if killed.

    Starts from the CS-ASR in ``asr_dir`` (its weights, architecture and units) when ``tokenizer.init_from_asr``;
    the training set is the CS-ASR's (with the ``augment.copies`` augmented copies). ``units_dir`` is needed only
    when training from scratch; ``stats_file`` defaults to ``<train_dir>/feats_stats.npz`` then.
    """
    check_tokenizer_config(cfg)
    train_dir, dev_dir, exp_dir = Path(train_dir), Path(dev_dir), Path(exp_dir)
    arch, init_from = starting_point(cfg, asr_dir)
    if init_from is not None:
        units_dir, stats_file = init_from / "units", None  # the weights hold the statistics (GlobalMVN buffers)
    elif units_dir is None:
        raise InputFileError(exp_dir, "training from scratch needs --units-dir (no trained CS-ASR to start from)")
    else:
        stats_file = Path(stats_file) if stats_file else train_dir / "feats_stats.npz"
    units_dir = Path(units_dir)
    model_cfg = module_config(arch, cfg.tokenizer)
    tokens = TextTokenizer(units_dir)
    frame_s = asr_frame_seconds(cfg.features)
    data = asr_training_data(train_dir, dev_dir, tokens.encode, model_cfg, cfg.augment, frame_s)

    seed = int(cfg.seed)
    distributed = "ddp" in str(cfg.trainer.strategy)
    module = build_module(
        model_cfg,
        "tokenizer",
        seed=seed,
        token_list=tokens.token_list,
        stats_file=stats_file,
        decode_ids=tokens.decode,
        dev_texts=data.dev_texts,
        distributed=distributed,
    )
    if init_from is not None:
        load_asr_weights(module.model, init_from)
    info = tokenizer_info(module.model, model_cfg, 1000.0 * frame_s, init_from)
    log.info(
        "tokenizer %s: %s after block %d of %d, %d codes, %.1f tokens/s; from %s",
        model_cfg.name,
        info["quantizer"],
        info["quantize_after"],
        info["encoder_blocks"],
        info["codebook_size"],
        info["token_rate_hz"],
        init_from or "scratch",
    )
    train_loader = loader_from_config(data.train, model_cfg.batch, shuffle=True, seed=seed, collate=collate_asr)
    dev_loader = loader_from_config(data.dev, model_cfg.batch, False, seed, collate_asr) if len(data.dev) else None

    def describe_model_dir() -> None:
        """What extraction and decoding need next to the weights; written once the resume check has passed."""
        copy_units(units_dir, exp_dir)
        write_model_dir(exp_dir, cfg, data.skipped, (INFO_FILE, info), asr=arch)  # the architecture the weights have

    return fit(
        module,
        train_loader,
        dev_loader,
        exp_dir,
        model_cfg.train,
        cfg.trainer,
        seed=seed,
        before_training=describe_model_dir,
    )
