"""Stage 0: prepare a corpus into ``<output_dir>/{train,dev,test}`` Kaldi directories, validated, with a report."""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from cstoolkit.data.atomic import atomic_write_text, remove_stale_temporaries
from cstoolkit.data.kaldi_dir import Utterance, write_data_dir
from cstoolkit.data.validate import validate_data_dir
from cstoolkit.errors import CstkError

log = logging.getLogger(__name__)
SPLITS = ("train", "dev", "test")
REPORT_FILE = "prepare_report.json"


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
    from cstoolkit.data.corpora.mini import prepare_mini
    from cstoolkit.data.corpora.switchlingua import prepare_switchlingua

    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    removed = remove_stale_temporaries(output_dir) + remove_stale_temporaries(output_dir / "audio", recursive=True)
    if removed:
        log.info("removed %d leftover temporary item(s) of an interrupted run", removed)
    if data_root:
        corpus = "switchlingua"
        splits, report = prepare_switchlingua(data_root, output_dir, corpus_config(data_cfg, corpus), num_jobs)
    else:
        corpus = "mini"
        splits = prepare_mini(output_dir, corpus_config(data_cfg, corpus), num_jobs)
        report = {"corpus": corpus, "kept": sum(map(len, splits.values())), "skipped": 0, "skipped_items": []}
    if not splits["train"]:
        raise CstkError(f"{corpus}: no usable training utterance (see the skipped items above)")
    for split in SPLITS:
        if not splits[split]:
            log.warning("%s: split %s is empty (too few usable items for the split ratios)", corpus, split)
            if (output_dir / split).exists():  # never leave a split of an earlier run next to this one
                shutil.rmtree(output_dir / split)
            continue
        path = write_data_dir(output_dir / split, splits[split])
        problems = validate_data_dir(path)
        if problems:
            raise RuntimeError(f"prepared {path} fails validation: {problems[0]}")
    report["splits"] = {split: split_summary(splits[split]) for split in SPLITS}
    if data_cfg.plots:
        report["plots"] = [str(p) for p in _plots(splits, output_dir / "plots", corpus)]
    atomic_write_text(output_dir / REPORT_FILE, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    _log_summary(report, output_dir)
    return report


def _plots(splits: dict[str, list[Utterance]], folder: Path, corpus: str) -> list[Path]:
    from cstoolkit.data.plots import plot_corpus

    return plot_corpus(splits, folder, corpus)


def _log_summary(report: dict, output_dir: Path) -> None:
    for split, info in report["splits"].items():
        log.info("%-5s %6d utts %4d speakers %7.3f h  %s", split, info["utterances"], info["speakers"], info["hours"],
                 " ".join(f"{k}:{v}" for k, v in info["pairs"].items()))  # fmt: skip
    if report.get("skipped"):
        reasons = ", ".join(f"{k}: {v}" for k, v in report.get("skipped_by_reason", {}).items())
        log.warning("skipped %d item(s) (%s); details in %s", report["skipped"], reasons, output_dir / REPORT_FILE)
        for item in report["skipped_items"][:20]:
            log.warning("  skipped %s: %s", item["item"], item["reason"])
