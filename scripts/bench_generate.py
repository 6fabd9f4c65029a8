#!/usr/bin/env python
"""Benchmark the code-switched text generator (``cstk generate-text``): sentences per second from the grammars,
against two baselines measured side by side in the same process, interleaved, on the same sentences:

- **validate only**: the same sentences given as external-command lines (``collect_lines``, the path an LLM's
  output takes, without the subprocess): the checks every kept sentence passes (scripts, bounds, duplicates), so
  the ratio says what realising frames costs on top;
- **with an exclude set**: the grammar run again with every sentence of another seed excluded (``--exclude``): what
  a large exclusion list costs.

    .venv/bin/python scripts/bench_generate.py [--per-pair 200] [--repeats 3] [--pairs zh-en,es-en,...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from cstoolkit.text.generate import Settings, generate
from cstoolkit.text.generate.external import collect_lines
from cstoolkit.text.generate.measure import sentence_key


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--per-pair", type=int, default=200, help="sentences per pair and kind")
    p.add_argument("--pairs", default=None, help="comma-separated pairs (default: all 11)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the median is reported")
    args = p.parse_args()
    pairs = tuple(args.pairs.split(",")) if args.pairs else None
    settings = Settings(pairs=pairs, per_pair=args.per_pair, seed=1)
    other = generate(Settings(pairs=pairs, per_pair=args.per_pair, seed=2))
    excluded = frozenset(sentence_key(s.text) for s in other.sentences)
    with_exclude = Settings(pairs=pairs, per_pair=args.per_pair, seed=1, exclude=excluded)

    times: dict[str, list[float]] = {"grammar": [], "validate only": [], "grammar + exclude": []}
    counts: dict[str, int] = {}
    for _ in range(args.repeats):
        seconds, result = timed(lambda: generate(settings))
        times["grammar"].append(seconds)
        counts["grammar"] = len(result.sentences)
        lines = [
            (n, json.dumps({"pair": s.pair, "kind": s.kind, "segments": s.segment_dicts()}, ensure_ascii=False))
            for n, s in enumerate(result.sentences, start=1)
        ]
        seconds, checked = timed(lambda lines=lines: collect_lines(lines, settings))
        times["validate only"].append(seconds)
        counts["validate only"] = len(checked.sentences)
        seconds, result = timed(lambda: generate(with_exclude))
        times["grammar + exclude"].append(seconds)
        counts["grammar + exclude"] = len(result.sentences)

    base = statistics.median(times["grammar"])
    print(f"{len(settings.pairs)} pairs, {args.per_pair} sentences per pair and kind, {len(excluded)} excluded")
    print(f"{'run':<20} {'sentences':>9} {'median s':>9} {'sent/s':>9} {'time vs grammar':>16}")
    for name, values in times.items():
        median = statistics.median(values)
        rate = counts[name] / median if median else float("inf")
        print(f"{name:<20} {counts[name]:>9} {median:>9.3f} {rate:>9.0f} {median / base:>15.2f}x")


if __name__ == "__main__":
    main()
