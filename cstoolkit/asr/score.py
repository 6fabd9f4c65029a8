"""Score a decoding folder with SAER (cstoolkit.metrics), using the data directory's tags when present."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig

log = logging.getLogger(__name__)


def score_decoding(data_dir: str | Path, out_dir: str | Path, metric_cfg: DictConfig, title: str):
    """Score ``out_dir/hyp.txt`` against ``data_dir/text`` into ``out_dir/{saer.json, report.html, breakdown.png}``.

    Per-language-pair breakdowns come from ``utt2lang`` and per-word-language ones from ``utt2seg.jsonl`` when the
    data directory has them. A reference without hypothesis is scored as an empty hypothesis.
    """
    from cstoolkit.metrics.scoring import config_from_mapping, score_files, write_reports

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    utt2lang = data_dir / "utt2lang"
    utt2seg = data_dir / "utt2seg.jsonl"
    result = score_files(
        data_dir / "text",
        out_dir / "hyp.txt",
        config_from_mapping(metric_cfg),
        "kaldi",
        "empty",
        utt2lang if utt2lang.is_file() else None,
        utt2seg if utt2seg.is_file() else None,
        metric_cfg.get("cache"),
        jobs=int(metric_cfg.get("jobs", 1)),
    )
    write_reports(result, out_dir, title)
    log.info("%s: %s", title, result.summary().replace("\n", " | "))
    return result
