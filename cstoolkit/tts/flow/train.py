"""The flow-matching training stage: data directories with speech tokens, mel and speaker embeddings -> ``exp/flow``.

The model directory is self-contained for synthesis: ``config.yaml`` (the composed config; ``flow.model`` with the
values measured from the data filled in), ``model.pth``, ``flow.json`` (the tokenizer it reads tokens of, token and
mel rates, mel statistics, training speakers) and the training record (``checkpoints/``, ``logs/``,
``history.jsonl``, ``training_curve.png``, ``train_summary.json``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from cstoolkit.core.modeldir import write_model_dir
from cstoolkit.data.kaldi_dir import read_utt2spk
from cstoolkit.data.loader import padded_collate, table_loaders
from cstoolkit.data.matrices import load_features
from cstoolkit.data.table import UttTable
from cstoolkit.errors import InputFileError
from cstoolkit.tokenizer.checks import TOKENS_FILE, read_tokenizer_info
from cstoolkit.train.checks import check_model_config, check_trainer_config
from cstoolkit.train.module import build_module
from cstoolkit.train.trainer import FitResult, fit
from cstoolkit.tts.flow.checks import FLOW_INFO
from cstoolkit.tts.flow.data import flow_table
from cstoolkit.tts.flow.model import fill_from_data

log = logging.getLogger(__name__)


def mel_statistics(table: UttTable, n_mels: int, utts: int) -> tuple[float, float]:
    """Mean and standard deviation of all log-mel values of (up to ``utts``, evenly spaced) utterances."""
    picks = np.unique(np.linspace(0, len(table) - 1, min(utts, len(table))).round().astype(int))
    total, square, count = 0.0, 0.0, 0
    for i in picks:
        try:
            mel = load_features(table.columns["mel"][i], n_mels).astype(np.float64)
        except ValueError as err:
            log.warning("mel statistics: %s skipped: %s", table.utt_ids[i], err)
            continue
        total, square, count = total + mel.sum(), square + (mel**2).sum(), count + mel.size
    if count == 0:
        raise InputFileError(table.data_dir / "mel.scp", "no readable mel matrix to measure mel_mean/mel_std on")
    mean = total / count
    return float(mean), float(np.sqrt(max(square / count - mean**2, 1e-8)))


@dataclass
class FlowData:
    """Training and validation tables, the filled-in model config and what ``flow.json`` records."""

    train: UttTable
    dev: UttTable | None
    model_cfg: DictConfig
    info: dict


def flow_training_data(train_dir: Path, dev_dir: Path | None, tokenizer_dir: Path, cfg: DictConfig) -> FlowData:
    """Read the tables, the tokenizer's rate and codebook, the mel statistics, and fill the ``flow`` config."""
    flow = cfg.flow
    vocab, rate = read_tokenizer_info(tokenizer_dir)
    n_mels = int(flow.model.n_mels)
    max_frames = int(flow.batch.max_frames_per_utt)
    train = flow_table(train_dir, max_frames)
    dev = flow_table(dev_dir, max_frames) if dev_dir is not None else None
    for table in (train, dev):
        if table is not None:
            table.check_dim("mel", n_mels, "flow.model.n_mels")
            table.check_dim("utt_embed", int(flow.model.speaker_dim), "flow.model.speaker_dim")
            _check_token_ids(table, vocab)
    mean, std = mel_statistics(train, n_mels, int(flow.mel_stats_utts))
    model_cfg = fill_from_data(flow, vocab_size=vocab, token_rate=rate, mel_mean=mean, mel_std=std)
    utt2spk = read_utt2spk(train_dir)
    speakers = sorted({utt2spk.get(u, "?") for u in train.utt_ids})
    info = {
        "tokenizer": str(tokenizer_dir.resolve()),
        "codebook_size": vocab,
        "token_rate_hz": rate,
        "mel_rate_hz": float(flow.model.mel_rate),
        "mel_mean": float(model_cfg.model.mel_mean),
        "mel_std": float(model_cfg.model.mel_std),
        "train_utterances": len(train),
        "train_speakers": speakers,
    }
    return FlowData(train, dev, model_cfg, info)


def _check_token_ids(table: UttTable, vocab: int) -> None:
    """InputFileError naming the first utterance with a token id outside the tokenizer's codebook."""
    for utt, ids in zip(table.utt_ids, table.columns["speech_tokens"]):
        if min(ids) < 0 or max(ids) >= vocab:
            bad = next(t for t in ids if t < 0 or t >= vocab)
            raise InputFileError(
                table.data_dir / TOKENS_FILE, f"{utt}: token id {bad} outside the tokenizer's codebook [0, {vocab})"
            )


def train_flow(
    train_dir: str | Path, dev_dir: str | Path | None, tokenizer_dir: str | Path, exp_dir: str | Path, cfg: DictConfig
) -> FitResult:
    """Train the ``cfg.flow`` flow model on ``train_dir`` (validated on ``dev_dir``) into ``exp_dir``; resumes if
    killed. Everything is checked before anything is written into ``exp_dir``."""
    check_model_config(cfg.flow, "flow")
    check_trainer_config(cfg.trainer)
    train_dir, exp_dir, tokenizer_dir = Path(train_dir), Path(exp_dir), Path(tokenizer_dir)
    data = flow_training_data(train_dir, Path(dev_dir) if dev_dir else None, tokenizer_dir, cfg)
    seed = int(cfg.seed)
    module = build_module(data.model_cfg, "flow", seed=seed)
    counts = module.model.parameter_counts()
    data.info["parameters"] = counts
    log.info(
        "flow model %s: %.2f M parameters (encoder %.2f M, estimator %.2f M); %d codes at %.2f tokens/s; mel "
        "mean %.3f std %.3f",
        data.model_cfg.name,
        counts["total"] / 1e6,
        counts["encoder"] / 1e6,
        counts["estimator"] / 1e6,
        data.info["codebook_size"],
        data.info["token_rate_hz"],
        data.info["mel_mean"],
        data.info["mel_std"],
    )
    dims = {"mel": int(data.model_cfg.model.n_mels), "utt_embed": int(data.model_cfg.model.speaker_dim)}
    train_loader, dev_loader = table_loaders(data.train, data.dev, dims, data.model_cfg.batch, seed, padded_collate())

    def describe_model_dir() -> None:
        skipped = {**data.train.skipped, **(data.dev.skipped if data.dev else {})}
        write_model_dir(exp_dir, cfg, skipped, (FLOW_INFO, data.info), flow=data.model_cfg)

    return fit(
        module,
        train_loader,
        dev_loader,
        exp_dir,
        data.model_cfg.train,
        cfg.trainer,
        seed=seed,
        before_training=describe_model_dir,
    )
