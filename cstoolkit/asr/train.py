"""The ASR training stage: data directories + units -> a trained, averaged model directory ``exp/asr``.

The model directory is self-contained (what decoding and ``transcribe`` need): ``config.yaml`` (the composed
config), ``units/`` (token list + SentencePiece model), ``model.pth`` (averaged weights), plus the training record
(``checkpoints/``, ``logs/``, ``history.jsonl``, ``training_curve.png``, ``train_summary.json``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.asr.checks import CONFIG_FILE, UNITS_SUBDIR, check_train_config
from cstoolkit.asr.data import AsrDataset, check_feature_dim, collate_asr, index_split
from cstoolkit.asr.units import INFO_FILE, SPM_FILE, TOKENS_FILE, Tokenizer
from cstoolkit.data.atomic import atomic_dir, atomic_write_text
from cstoolkit.errors import InputFileError
from cstoolkit.train.io import atomic_write_json
from cstoolkit.train.sampler import DurationBucketBatchSampler
from cstoolkit.train.trainer import FitResult, fit

log = logging.getLogger(__name__)

SKIPPED_FILE = "skipped_utts.json"
__all__ = ["CONFIG_FILE", "SKIPPED_FILE", "UNITS_SUBDIR", "copy_units", "make_loader", "train_asr"]


def make_loader(dataset: AsrDataset, batch_cfg: DictConfig, shuffle: bool, seed: int) -> torch.utils.data.DataLoader:
    """DataLoader with duration-bucketed batches (``batch.max_frames`` padded frames, ``batch.max_batch_size``)."""
    sampler = DurationBucketBatchSampler(
        dataset.num_frames,
        max_frames=int(batch_cfg.max_frames),
        max_batch_size=int(batch_cfg.max_batch_size),
        shuffle=shuffle and bool(batch_cfg.bucket_shuffle),
        seed=seed,
    )
    workers = int(batch_cfg.num_workers)
    return torch.utils.data.DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=collate_asr,
        num_workers=workers,
        persistent_workers=workers > 0,
    )


def copy_units(units_dir: Path, exp_dir: Path) -> Path:
    """Copy the units files next to the model so the model directory stands alone (the folder is replaced whole)."""
    with atomic_dir(exp_dir / UNITS_SUBDIR) as tmp:
        for name in (TOKENS_FILE, SPM_FILE, INFO_FILE):
            shutil.copyfile(units_dir / name, tmp / name)
    return exp_dir / UNITS_SUBDIR


def train_asr(
    train_dir: str | Path,
    dev_dir: str | Path,
    units_dir: str | Path,
    exp_dir: str | Path,
    cfg: DictConfig,
    stats_file: str | Path | None = None,
) -> FitResult:
    """Train the ``cfg.asr`` model on ``train_dir`` (validated on ``dev_dir``) into ``exp_dir``; resumes if killed.

    ``stats_file`` defaults to ``<train_dir>/feats_stats.npz`` (GlobalMVN statistics from the features stage).
    Everything is checked (config values, data, features, a resumed checkpoint's model) before anything is written
    into ``exp_dir``: a refused run leaves an existing model directory as it was.
    """
    from cstoolkit.asr.lightning import AsrLightningModule

    check_train_config(cfg)
    train_dir, dev_dir, units_dir, exp_dir = map(Path, (train_dir, dev_dir, units_dir, exp_dir))
    stats_file = Path(stats_file) if stats_file else train_dir / "feats_stats.npz"
    asr = cfg.asr
    tokenizer = Tokenizer(units_dir)  # checks the units files; copied into exp_dir only after the resume check

    max_frames = int(asr.batch.max_frames_per_utt)
    max_tokens = int(asr.batch.max_tokens_per_utt)
    dim = int(asr.input_size)
    train_set = AsrDataset(index_split(train_dir, max_frames), tokenizer.encode, max_tokens, dim)
    dev_set = AsrDataset(index_split(dev_dir, max_frames), tokenizer.encode, max_tokens, dim)
    if len(train_set) == 0:
        raise InputFileError(train_dir / "feats.scp", _none_usable(train_set))
    check_feature_dim(train_set.index, dim)
    check_feature_dim(dev_set.index, dim)
    skipped = {"train": train_set.index.skipped, "dev": dev_set.index.skipped}
    log.info(
        "training on %d utterances (%.2f h), validating on %d; %d + %d skipped (see %s)",
        len(train_set), sum(train_set.num_frames) * _frame_seconds(cfg) / 3600, len(dev_set),
        len(skipped["train"]), len(skipped["dev"]), SKIPPED_FILE,
    )  # fmt: skip

    module = AsrLightningModule(
        asr,
        tokenizer.token_list,
        stats_file,
        decode_ids=tokenizer.decode,
        dev_texts=dict(zip(dev_set.index.utt_ids, dev_set.index.texts)),
    )
    n_params = sum(p.numel() for p in module.model.parameters())
    log.info("model %s: %.2f M parameters, %d tokens", asr.name, n_params / 1e6, len(tokenizer))
    train_loader = make_loader(train_set, asr.batch, shuffle=True, seed=int(cfg.seed))
    dev_loader = make_loader(dev_set, asr.batch, shuffle=False, seed=int(cfg.seed)) if len(dev_set) else None

    def write_model_dir() -> None:
        """What decoding needs next to the weights; written once the resume check has passed."""
        copy_units(units_dir, exp_dir)
        atomic_write_text(exp_dir / CONFIG_FILE, OmegaConf.to_yaml(cfg, resolve=True))
        atomic_write_json(exp_dir / SKIPPED_FILE, skipped)

    return fit(module, train_loader, dev_loader, exp_dir, asr.train, cfg.trainer, seed=int(cfg.seed),
               before_training=write_model_dir)  # fmt: skip


def _none_usable(dataset: AsrDataset) -> str:
    """Why a split has no usable utterance: counts of the reasons, with one example."""
    skipped = dataset.index.skipped
    if not skipped:
        return "no usable training utterance (the file is empty)"
    utt, reason = min(skipped.items())
    return f"no usable training utterance: all {len(skipped)} skipped, e.g. {utt}: {reason}"


def _frame_seconds(cfg: DictConfig) -> float:
    """Seconds per feature frame (``features.fbank.frame_shift`` ms)."""
    return float(cfg.features.fbank.frame_shift) / 1000.0
