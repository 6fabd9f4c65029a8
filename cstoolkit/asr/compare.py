"""Compare two CS-ASR models on the same decoded splits: the paired SAER comparison (``saer compare``) of each
split, overall and per language pair, as one JSON document and one TSV table.

A model directory's decodings are ``<model>/decode_<split>/hyp.txt`` (``cstk decode-asr``, as the recipe writes
them); the references and language-pair tags are ``<data>/<split>/{text,utt2lang}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from cstoolkit.core.atomic import atomic_write_json, atomic_write_text
from cstoolkit.errors import InputFileError

#: the figures of each row of the TSV: the comparison's key and the column name
FIGURES = (("form_error", "mer"), ("saer", "saer"))


def compare_models(
    data_dir: str | Path,
    baseline: str | Path,
    system: str | Path,
    splits: list[str],
    metric_cfg: DictConfig,
    out_prefix: str | Path,
) -> dict[str, Any]:
    """B (``system``) - A (``baseline``) on every split, with paired intervals and p-values; written to
    ``<out_prefix>.json`` and ``<out_prefix>.tsv`` and returned. InputFileError naming a missing decoding."""
    from cstoolkit.metrics.scoring import compare_files, config_from_mapping, resampling_from_mapping

    data_dir, baseline, system = Path(data_dir), Path(baseline), Path(system)
    resampling = resampling_from_mapping(metric_cfg)
    config = config_from_mapping(metric_cfg)
    doc: dict[str, Any] = {"baseline": str(baseline.resolve()), "system": str(system.resolve()), "splits": {}}
    for split in splits:
        ref = data_dir / split / "text"
        hyps = [model / f"decode_{split}" / "hyp.txt" for model in (baseline, system)]
        for hyp in hyps:
            if not hyp.is_file():
                raise InputFileError(hyp, f"missing: decode {split} with that model first (cstk decode-asr)")
        utt2lang = data_dir / split / "utt2lang"
        result = compare_files(
            ref,
            *hyps,
            config,
            missing="empty",
            utt2lang=utt2lang if utt2lang.is_file() else None,
            cache=metric_cfg.get("cache"),
            jobs=int(metric_cfg.get("jobs", 1)),
            resamples=max(1, resampling.resamples),
            seed=resampling.seed,
            level=resampling.level,
        )
        entry = result.to_dict()
        entry["utterances"] = result.a.utterances
        doc["splits"][split] = entry
    out_prefix = Path(out_prefix)
    atomic_write_json(out_prefix.with_suffix(".json"), doc)
    atomic_write_text(out_prefix.with_suffix(".tsv"), comparison_tsv(doc))
    return doc


def relative_change(difference: dict[str, Any]) -> float:
    """(B - A) / A of one figure of a comparison (NaN when A is 0)."""
    return difference["delta"] / difference["a"] if difference["a"] else float("nan")


def comparison_tsv(doc: dict[str, Any]) -> str:
    """One row per split and tag (``all`` first, then each language pair): A, B, B - A with its interval, the
    relative change (B - A) / A and the p-value of the MER and of SAER."""
    header = ["split", "tag"]
    for _, name in FIGURES:
        header += [f"{name}_a", f"{name}_b", f"{name}_delta", f"{name}_ci_low", f"{name}_ci_high"]
        header += [f"{name}_relative", f"{name}_p"]
    lines = ["\t".join(header)]
    for split, entry in doc["splits"].items():
        groups = [("all", entry["difference"]), *sorted(entry.get("per_tag", {}).items())]
        for tag, diffs in groups:
            cells = [split, tag]
            for key, _ in FIGURES:
                d = diffs[key]
                cells += [f"{d['a']:.4f}", f"{d['b']:.4f}", f"{d['delta']:+.4f}"]
                cells += [f"{d['ci']['low']:+.4f}", f"{d['ci']['high']:+.4f}", f"{relative_change(d):+.3f}"]
                cells += [f"{d['p_value']:.4f}"]
            lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
