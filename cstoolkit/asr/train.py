"""The ASR training stage: data directories + units -> a trained, averaged model directory ``exp/asr``.

The model directory is self-contained (what decoding and ``transcribe`` need): ``config.yaml`` (the composed
config), ``units/`` (token list + SentencePiece model), ``model.pth`` (averaged weights), plus the training record
(``checkpoints/``, ``logs/``, ``history.jsonl``, ``training_curve.png``, ``train_summary.json``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from cstoolkit.asr.checks import check_train_config
from cstoolkit.asr.data import FEATS, FRAME_COUNTS, asr_train_set, collate_asr
from cstoolkit.core.modeldir import SKIPPED_FILE, write_model_dir
from cstoolkit.data.loader import UttDataset, loader_from_config
from cstoolkit.data.table import add_variants
from cstoolkit.errors import InputFileError
from cstoolkit.text.tokens import TextTokenizer, copy_units
from cstoolkit.train.module import build_module
from cstoolkit.train.trainer import FitResult, fit

log = logging.getLogger(__name__)

__all__ = ["TrainingData", "asr_training_data", "train_asr"]


def train_asr(
    train_dir: str | Path,
    dev_dir: str | Path,
    units_dir: str | Path,
    exp_dir: str | Path,
    cfg: DictConfig,
    stats_file: str | Path | None = None,
    init_from: str | Path | None = None,
) -> FitResult:
    """Train the ``cfg.asr`` model on ``train_dir`` (validated on ``dev_dir``) into ``exp_dir``; resumes if killed.

    ``stats_file`` defaults to ``<train_dir>/feats_stats.npz`` (GlobalMVN statistics from the features stage).
    ``init_from`` (a trained CS-ASR model directory) fine-tunes: training starts from its averaged weights, which
    must fit the ``cfg.asr`` architecture and the units of ``units_dir`` (ConfigError otherwise); a resumed run
    continues from its own checkpoint instead.
    Everything is checked (config values, data, features, a resumed checkpoint's model) before anything is written
    into ``exp_dir``: a refused run leaves an existing model directory as it was.
    """
    check_train_config(cfg)
    train_dir, dev_dir, units_dir, exp_dir = map(Path, (train_dir, dev_dir, units_dir, exp_dir))
    stats_file = Path(stats_file) if stats_file else train_dir / "feats_stats.npz"
    asr = cfg.asr
    tokenizer = TextTokenizer(units_dir)  # checks the files; copied into exp_dir only after the resume check

    data = asr_training_data(train_dir, dev_dir, tokenizer.encode, asr, cfg.augment, _frame_seconds(cfg))
    train_set, dev_set, dev_texts, skipped = data.train, data.dev, data.dev_texts, data.skipped

    seed = int(cfg.seed)
    module = build_module(
        asr,
        "asr",
        seed=seed,
        token_list=tokenizer.token_list,
        stats_file=stats_file,
        decode_ids=tokenizer.decode,
        dev_texts=dev_texts,
    )
    if init_from is not None:
        start_from(module.model, Path(init_from), tokenizer)
    n_params = sum(p.numel() for p in module.model.parameters())
    log.info("model %s: %.2f M parameters, %d tokens", asr.name, n_params / 1e6, len(tokenizer))
    train_loader = loader_from_config(train_set, asr.batch, shuffle=True, seed=seed, collate=collate_asr)
    dev_loader = loader_from_config(dev_set, asr.batch, False, seed, collate_asr) if len(dev_set) else None

    def describe_model_dir() -> None:
        """What decoding needs next to the weights; written once the resume check has passed."""
        copy_units(units_dir, exp_dir)
        write_model_dir(exp_dir, cfg, skipped)

    return fit(
        module, train_loader, dev_loader, exp_dir, asr.train, cfg.trainer, seed=seed, before_training=describe_model_dir
    )


def start_from(model, model_dir: Path, tokenizer: TextTokenizer) -> None:
    """Load the averaged weights of the CS-ASR in ``model_dir`` into ``model`` (fine-tuning); ConfigError when its
    units or its architecture differ from this run's."""
    from cstoolkit.core.modeldir import WEIGHTS_FILE, load_state, shape_differences
    from cstoolkit.errors import ConfigError

    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ConfigError(f"cannot fine-tune from {model_dir}: no {WEIGHTS_FILE} (train that model first)")
    theirs = TextTokenizer(model_dir / "units").token_list
    if theirs != tokenizer.token_list:
        raise ConfigError(
            f"cannot fine-tune from {model_dir}: its units differ from this run's ({len(theirs)} vs "
            f"{len(tokenizer.token_list)} tokens); give the same --units-dir"
        )
    state = load_state(weights)
    differ = shape_differences(state, model.state_dict())
    if differ:
        raise ConfigError(
            f"cannot fine-tune from {model_dir}: {len(differ)} tensors differ from this config's model "
            f"(e.g. {differ[0]}); train with the asr settings that model was trained with"
        )
    model.load_state_dict(state)
    log.info("fine-tuning: starting from the weights of %s", weights)


@dataclass
class TrainingData:
    """The training and dev sets of a model that reads features and transcripts (the CS-ASR, the tokenizer)."""

    train: UttDataset
    dev: UttDataset
    dev_texts: dict[str, str]
    skipped: dict[str, dict[str, str]]


def asr_training_data(
    train_dir: Path,
    dev_dir: Path,
    encode: Callable[[str], list[int]],
    model_cfg: DictConfig,
    augment_cfg: DictConfig,
    frame_seconds: float,
) -> TrainingData:
    """Training and dev sets of ``model_cfg`` (``batch`` limits, ``input_size``), the train set with its
    ``augment.copies`` augmented copies; InputFileError when no training utterance is usable."""
    limits = (
        int(model_cfg.batch.max_frames_per_utt),
        int(model_cfg.batch.max_tokens_per_utt),
        int(model_cfg.input_size),
    )
    train_set, _ = asr_train_set(train_dir, encode, *limits)
    dev_set, dev_texts = asr_train_set(dev_dir, encode, *limits)
    if len(train_set) == 0:
        raise InputFileError(train_dir / FEATS.file, f"no usable training utterance: {train_set.table.why_empty()}")
    train_set.table.check_dim("speech", int(model_cfg.input_size), "asr.input_size")
    dev_set.table.check_dim("speech", int(model_cfg.input_size), "asr.input_size")
    skipped = {"train": train_set.table.skipped, "dev": dev_set.table.skipped}
    log.info(
        "training on %d utterances (%.2f h), validating on %d; %d + %d skipped (see %s)",
        len(train_set),
        sum(train_set.lengths) * frame_seconds / 3600,
        len(dev_set),
        len(skipped["train"]),
        len(skipped["dev"]),
        SKIPPED_FILE,
    )
    copies = augmented_copies(train_dir, augment_cfg)
    if copies:
        added = add_variants(train_set.table, "speech", copies, FRAME_COUNTS)
        log.info(
            "augmentation: %d augmented copies of %s (%d versions), one version per utterance and epoch",
            len(copies),
            train_dir,
            added,
        )
    return TrainingData(train_set, dev_set, dev_texts, skipped)


def augmented_copies(train_dir: Path, augment_cfg: DictConfig) -> list[Path]:
    """The ``augment.copies`` augmented copies of ``train_dir`` that the features stage made
    (``<data>/augment/<split>/copy<k>``); InputFileError naming the first one missing."""
    from cstoolkit.data.corrupt import STAMP_FILE, augmented_copy_dir

    wanted = int(augment_cfg.copies)
    dirs = [augmented_copy_dir(train_dir.parent, train_dir.name, k) for k in range(1, wanted + 1)]
    for path in dirs:
        if not (path / STAMP_FILE).is_file() or not (path / FEATS.file).is_file():
            raise InputFileError(
                path,
                f"augmented copy missing (augment.copies={wanted}): run the features stage "
                "(cstk features) first, or train without with augment=none",
            )
    return dirs


def _frame_seconds(cfg: DictConfig) -> float:
    """Seconds per ASR input frame (:func:`cstoolkit.data.asr_input.asr_frame_seconds`)."""
    from cstoolkit.data.asr_input import asr_frame_seconds

    return asr_frame_seconds(cfg.features)
