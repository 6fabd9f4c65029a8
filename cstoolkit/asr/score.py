"""Score a decoding folder with SAER (cstoolkit.metrics), using the data directory's tags when present."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig

log = logging.getLogger(__name__)


def check_metric_config(metric_cfg: DictConfig) -> None:
    """ConfigError (one line, naming the key) for a bad ``metric`` setting: call it before decoding, so that a
    decoding is not lost to a typo in the scoring settings."""
    from cstoolkit.metrics.scoring import config_from_mapping, resampling_from_mapping

    resampling_from_mapping(metric_cfg)
    config_from_mapping(metric_cfg)


def score_folder(data_dir: str | Path, out_dir: str | Path, metric_cfg: DictConfig, intervals: bool = True):
    """The :class:`~cstoolkit.metrics.saer.SAERResult` of ``out_dir/hyp.txt`` against ``data_dir/text``, with the
    bootstrap intervals of ``metric.bootstrap`` / ``seed`` / ``ci_level`` unless ``intervals`` is False (none with
    ``metric.bootstrap=0``); nothing is written.

    Per-language-pair breakdowns come from ``utt2lang`` and per-word-language ones from ``utt2seg.jsonl`` when the
    data directory has them. A reference without hypothesis is scored as an empty hypothesis.
    """
    from cstoolkit.metrics.scoring import config_from_mapping, resampling_from_mapping, score_files

    resampling = resampling_from_mapping(metric_cfg)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    utt2lang = data_dir / "utt2lang"
    utt2seg = data_dir / "utt2seg.jsonl"
    return score_files(
        data_dir / "text",
        out_dir / "hyp.txt",
        config_from_mapping(metric_cfg),
        "kaldi",
        "empty",
        utt2lang if utt2lang.is_file() else None,
        utt2seg if utt2seg.is_file() else None,
        metric_cfg.get("cache"),
        jobs=int(metric_cfg.get("jobs", 1)),
        resampling=resampling if intervals else None,
    )


def score_decoding(data_dir: str | Path, out_dir: str | Path, metric_cfg: DictConfig, title: str):
    """Score ``out_dir/hyp.txt`` against ``data_dir/text`` (:func:`score_folder`, with intervals) into
    ``out_dir/{saer.json, per_utt.tsv, report.html, breakdown.png}``; returns the
    :class:`~cstoolkit.metrics.saer.SAERResult`."""
    from cstoolkit.metrics.scoring import write_reports

    result = score_folder(data_dir, out_dir, metric_cfg)
    write_reports(result, out_dir, title)
    log.info("%s: %s", title, result.summary().replace("\n", " | "))
    return result
