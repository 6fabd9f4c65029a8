"""Stage 0: prepare a corpus into ``<output_dir>/{train,dev,test}`` Kaldi directories (the generated demo world
also ``test_novel``), validated, with a report."""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from cstoolkit.config import FLAG, Rule, check_config, choice, number, whole
from cstoolkit.core.atomic import atomic_write_text, remove_stale_temporaries
from cstoolkit.data.kaldi_dir import Utterance, write_data_dir
from cstoolkit.data.validate import REPORT_FILE, validate_data_dir
from cstoolkit.errors import ConfigError, CstkError, InputFileError

log = logging.getLogger(__name__)
SPLITS = ("train", "dev", "test")
#: splits only some corpora have (the generated demo world's held-out frames); a stale one is removed
OPTIONAL_SPLITS = ("test_novel",)
#: formats write_audio can store 16-bit PCM in
AUDIO_FORMATS = ("flac", "wav")
#: allowed values of the ``data`` config group (common settings and each corpus's)
RULES: dict[str, Rule] = {
    "sample_rate": whole(1),
    "audio_format": choice(*AUDIO_FORMATS),
    "nj": whole(1),
    "min_duration": number(0),
    "max_duration": number(0, low_open=True),
    "plots": FLAG,
    "switchlingua.dev_ratio": number(0, 1),
    "switchlingua.test_ratio": number(0, 1),
    "switchlingua.seed": whole(),
    "switchlingua.multi_turn": choice("join", "skip"),
    "switchlingua.min_units_per_second": number(0),
    "switchlingua.max_units_per_second": number(0, low_open=True),
    "mini.train_sentences": whole(1),
    "mini.dev_sentences": whole(0),
    "mini.test_sentences": whole(0),
    "mini.train_readings": whole(1),
    "mini.gap": number(0),
    "mini.edge": number(0),
    "mini.peak": number(0, 1, low_open=True),
    "mini.espeak_rate": whole(1),
    "mini.trim_db": number(0, low_open=True),
    "mini.seed": whole(),
}


def check_data_config(data_cfg: DictConfig) -> None:
    """Raise ConfigError (one line naming the key and the allowed values) for a bad ``data`` setting."""
    from cstoolkit.data.corpora.mini_world import check_world_config

    check_config(data_cfg, RULES, "data")
    check_world_config(corpus_config(data_cfg, "mini"))  # the demo world's sentence source (mini_world.RULES)
    if data_cfg.min_duration > data_cfg.max_duration:
        raise ConfigError(
            f"bad configuration value data.min_duration={data_cfg.min_duration}: "
            f"expected at most data.max_duration ({data_cfg.max_duration})"
        )
    if data_cfg.switchlingua.dev_ratio + data_cfg.switchlingua.test_ratio >= 1:
        raise ConfigError(
            "bad configuration values data.switchlingua.dev_ratio + test_ratio: expected below 1 "
            "(something must be left for train)"
        )


def corpus_config(data_cfg: DictConfig, corpus: str) -> dict[str, Any]:
    """The common data settings merged with one corpus's settings, as a plain dict (picklable for workers)."""
    common = {k: v for k, v in OmegaConf.to_container(data_cfg, resolve=True).items() if not isinstance(v, dict)}
    return {**common, **OmegaConf.to_container(data_cfg[corpus], resolve=True)}


def split_summary(utts: list[Utterance]) -> dict[str, Any]:
    """Counts of one split: utterances, speakers, hours, utterances per language pair."""
    return {
        "utterances": len(utts),
        "speakers": len({u.speaker for u in utts}),
        "hours": round(sum(u.duration for u in utts) / 3600, 4),
        "pairs": dict(sorted(Counter(u.lang for u in utts).items())),
    }


def prepare(data_root: str | Path | None, output_dir: str | Path, data_cfg: DictConfig, num_jobs: int) -> dict:
    """Prepare the SwitchLingua release at ``data_root`` (or the demo corpus when None/empty) into ``output_dir``.

    Every split directory is written atomically and validated; ``prepare_report.json`` and the plots are written
    last. Returns the report.
    """
    from cstoolkit.data.corpora.mini_world import prepare_demo
    from cstoolkit.data.corpora.switchlingua import prepare_switchlingua

    check_data_config(data_cfg)
    output_dir = Path(output_dir).resolve()
    # refuse before touching anything: a file where a split folder belongs is not ours
    for split in SPLITS + OPTIONAL_SPLITS:
        if (output_dir / split).is_symlink() or ((output_dir / split).exists() and not (output_dir / split).is_dir()):
            raise InputFileError(output_dir / split, "exists and is not a folder; expected a split directory here")
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / REPORT_FILE).unlink(missing_ok=True)  # written last: the folder no longer looks prepared
    removed = remove_stale_temporaries(output_dir) + remove_stale_temporaries(output_dir / "audio", recursive=True)
    if removed:
        log.info("removed %d leftover temporary item(s) of an interrupted run", removed)
    if data_root:
        corpus = "switchlingua"
        splits, report = prepare_switchlingua(data_root, output_dir, corpus_config(data_cfg, corpus), num_jobs)
    else:
        corpus = "mini"
        splits, extra = prepare_demo(output_dir, corpus_config(data_cfg, corpus), num_jobs)
        report = {"corpus": corpus, "kept": sum(map(len, splits.values())), "skipped": 0, "skipped_items": [], **extra}
    names = [split for split in SPLITS + OPTIONAL_SPLITS if split in SPLITS or splits.get(split)]
    report["splits"] = {split: split_summary(splits[split]) for split in names}
    for split, details in report.pop("split_details", {}).items():  # the demo world's sentences and units
        report["splits"].get(split, {}).update(details)
    if not splits["train"]:
        report["failed"] = "no usable training utterance"
        _write_report(report, output_dir)
        raise CstkError(f"{corpus}: no usable training utterance (reasons above and in {output_dir / REPORT_FILE})")
    check = partial(_must_be_valid, sample_rate=int(data_cfg.sample_rate))
    for split in SPLITS + OPTIONAL_SPLITS:
        if not splits.get(split):
            if split in SPLITS:
                log.warning("%s: split %s is empty (too few usable items for the split ratios)", corpus, split)
            if (output_dir / split).exists():  # never leave a split of an earlier run next to this one
                shutil.rmtree(output_dir / split)
            continue
        write_data_dir(output_dir / split, splits[split], check=check)
    if data_cfg.plots:
        report["plots"] = [str(p) for p in _plots(splits, output_dir / "plots", corpus)]
    _write_report(report, output_dir)
    return report


def _must_be_valid(path: Path, sample_rate: int) -> None:
    """Raise when a freshly written split directory fails validation (it is then never put in place)."""
    problems = validate_data_dir(path, sample_rate=sample_rate)
    if problems:
        raise RuntimeError(f"prepared split fails validation ({len(problems)} problem(s)): {problems[0]}")


def _write_report(report: dict, output_dir: Path) -> None:
    """Write ``prepare_report.json`` and log its summary (splits, skipped items with reasons)."""
    atomic_write_text(output_dir / REPORT_FILE, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    _log_summary(report, output_dir)


def _plots(splits: dict[str, list[Utterance]], folder: Path, corpus: str) -> list[Path]:
    from cstoolkit.data.plots import plot_corpus

    return plot_corpus(splits, folder, corpus)


def _log_summary(report: dict, output_dir: Path) -> None:
    for split, info in report["splits"].items():
        log.info(
            "%-10s %6d utts %4d speakers %7.3f h  %s",
            split,
            info["utterances"],
            info["speakers"],
            info["hours"],
            " ".join(f"{k}:{v}" for k, v in info["pairs"].items()),
        )
    if report.get("skipped"):
        reasons = ", ".join(f"{k}: {v}" for k, v in report.get("skipped_by_reason", {}).items())
        log.warning("skipped %d item(s) (%s); details in %s", report["skipped"], reasons, output_dir / REPORT_FILE)
        for item in report["skipped_items"][:20]:
            log.warning("  skipped %s: %s", item["item"], item["reason"])
