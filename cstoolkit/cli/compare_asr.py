"""``cstk compare-asr``: two CS-ASR models on the same decoded splits, paired (``saer compare``): B - A of MER and
SAER with intervals and p-values, overall and per language pair, into ``<out>.json`` and ``<out>.tsv``.

    cstk compare-asr --data-root data --baseline exp/asr --system exp/asr_tts --split test --split test_novel \\
        --out exp/asr_tts/comparison
"""

from __future__ import annotations

import argparse

HELP = "paired comparison of two CS-ASR models' decodings (MER, SAER; per pair) into JSON + TSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-root", required=True, help="folder holding data/<split> (references, utt2lang)")
    parser.add_argument("--baseline", required=True, help="model A: its decode_<split>/hyp.txt are compared")
    parser.add_argument("--system", required=True, help="model B")
    parser.add_argument("--split", action="append", required=True, help="split to compare (repeatable)")
    parser.add_argument("--out", required=True, help="output prefix: <out>.json and <out>.tsv")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the metric group, e.g. metric.bootstrap=2000")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.asr.compare import compare_models, relative_change
    from cstoolkit.asr.score import check_metric_config
    from cstoolkit.config import load_config

    cfg = load_config(args.overrides)
    check_metric_config(cfg.metric)
    doc = compare_models(args.data_root, args.baseline, args.system, args.split, cfg.metric, args.out)
    for split, entry in doc["splits"].items():
        d = entry["difference"]["form_error"]
        print(
            f"{split}: MER {d['a']:.4f} -> {d['b']:.4f} ({relative_change(d):+.1%}), B - A {d['delta']:+.4f} "
            f"[{d['ci']['low']:+.4f}, {d['ci']['high']:+.4f}] p={d['p_value']:.4f}"
        )
    return 0
