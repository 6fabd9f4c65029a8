"""What the speech tokens keep of what was said: MER/SAER of the test set decoded through the quantizer against the
continuous CS-ASR of the same run, overall and per language pair, each with its bootstrap interval (read from the
decode folders' saer.json), and the paired difference quantized - continuous over the same utterances with its
interval and p-value (both decodings scored again against the test set with
:func:`cstoolkit.metrics.scoring.compare_files`). Part of :mod:`cstoolkit.tokenizer.report`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cstoolkit.errors import InputFileError

log = logging.getLogger(__name__)


#: the figures of the report: its name -> the SAER figure name
FIGURES = {"mer": "form_error", "saer": "saer"}


def figures(group: Mapping[str, Any]) -> dict[str, Any]:
    """``{mer, saer, ci: {mer, saer} or None}`` of a saer.json group (the corpus or a tag)."""
    ci = group.get("ci") or {}
    out: dict[str, Any] = {name: group.get(figure) for name, figure in FIGURES.items()}
    out["ci"] = {name: ci[figure] for name, figure in FIGURES.items() if figure in ci} or None
    return out


def decode_scores(decode_dir: Path | None) -> dict | None:
    """MER (form error) and SAER with their intervals, overall and per language pair, of a scored decoding folder
    (saer.json)."""
    if decode_dir is None or not (decode_dir / "saer.json").is_file():
        return None
    path = decode_dir / "saer.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"not a SAER report: {err}") from None
    pairs = {tag: figures(group) for tag, group in (doc.get("per_tag") or {}).items()}
    return {"dir": str(decode_dir), **figures(doc), "signature": doc.get("signature"), "per_pair": pairs}


def differences(diffs: Mapping[str, Any], level: float) -> dict[str, Any]:
    """``{mer, saer}`` of B - A: ``{a, b, delta, ci, p_value, significant}`` each."""
    return {
        name: {**diffs[figure].to_dict(), "significant": bool(diffs[figure].p_value < 1.0 - level)}
        for name, figure in FIGURES.items()
    }


def paired_difference(
    test_dir: Path, decode_dir: Path, asr_decode_dir: Path, metric_cfg: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Quantized (B) - continuous (A) over the same test utterances: both ``hyp.txt`` scored again against
    ``test_dir/text`` (a missing hypothesis scored as empty, as the decode folders were) with the ``metric`` settings,
    resampled together: ``{a, b, test, level, resamples, seed, signature, mer, saer, per_pair: {pair: {mer, saer}}}``
    (see :func:`differences`); None with ``metric.bootstrap=0``."""
    from cstoolkit.metrics.scoring import compare_files, config_from_mapping, resampling_from_mapping

    resampling = resampling_from_mapping(metric_cfg)
    if not resampling.enabled:
        return None
    utt2lang = test_dir / "utt2lang"
    result = compare_files(
        test_dir / "text",
        asr_decode_dir / "hyp.txt",
        decode_dir / "hyp.txt",
        config_from_mapping(metric_cfg),
        "kaldi",
        "empty",
        utt2lang if utt2lang.is_file() else None,
        metric_cfg.get("cache"),
        int(metric_cfg.get("jobs", 1)),
        resampling.resamples,
        resampling.seed,
        resampling.level,
    )
    level = resampling.level
    return {
        "a": "continuous",
        "b": "quantized",
        "test": result.test,
        **resampling.to_dict(),
        "signature": result.signature,
        **differences(result.differences, level),
        "per_pair": {tag: differences(diffs, level) for tag, diffs in sorted(result.per_tag.items())},
    }


def quantized_vs_continuous(
    quantized: dict | None,
    continuous: dict | None,
    test_dir: Path | None,
    metric_cfg: Mapping[str, Any] | None,
) -> dict | None:
    """The ``quantized_vs_continuous`` block: ratio (None when the continuous MER is 0) and difference of the MERs,
    and with a test set the paired difference (a ``warning`` when the decode folders were scored with other
    settings than ``metric``)."""
    if not (quantized and continuous):
        return None
    comparison: dict[str, Any] = {
        "mer_ratio": quantized["mer"] / continuous["mer"] if continuous["mer"] else None,
        "mer_difference": quantized["mer"] - continuous["mer"],
    }
    if test_dir is not None:
        if metric_cfg is None:
            from cstoolkit.config import load_config

            metric_cfg = load_config().metric
        paired = paired_difference(test_dir, Path(quantized["dir"]), Path(continuous["dir"]), metric_cfg)
        if paired is not None:
            comparison["paired"] = paired
            scored = {quantized["signature"], continuous["signature"]}
            if scored != {paired["signature"]}:
                comparison["warning"] = (
                    f"the decode folders were scored with {' and '.join(sorted(map(str, scored)))}, the paired "
                    f"difference with {paired['signature']}: pass the same metric settings"
                )
                log.warning("tokenizer report: %s", comparison["warning"])
    return comparison


def bracket(interval: Mapping[str, Any] | None) -> str:
    """`` [0.1000, 0.1500]`` of an interval dict; nothing without one (or with empty bounds)."""
    if not interval or interval.get("low") is None:
        return ""
    return f" [{interval['low']:.4f}, {interval['high']:.4f}]"


def with_interval(scores: Mapping[str, Any], name: str = "mer") -> str:
    """``0.1234 [0.1000, 0.1500]`` (the interval when there is one)."""
    return f"{scores[name]:.4f}{bracket((scores.get('ci') or {}).get(name))}"


def mer_error_bars(groups: list[Mapping[str, Any] | None]) -> list[list[float]] | None:
    """matplotlib ``yerr`` of the MER intervals of ``groups`` (None when none has one)."""
    below, above = [], []
    for group in groups:
        interval = ((group or {}).get("ci") or {}).get("mer") or {}
        value = (group or {}).get("mer") or 0.0
        low, high = interval.get("low"), interval.get("high")
        below.append(0.0 if low is None else max(0.0, value - low))
        above.append(0.0 if high is None else max(0.0, high - value))
    return [below, above] if any(below + above) else None
