#!/usr/bin/env python
"""Benchmark the code-switched text front end (``cstoolkit.text.verbalize.normalize_text``): sentences per second of
language assignment + verbalisation, against SAER's own text normalisation (``cstoolkit.text.normalize``) of the same
sentences as the baseline, measured side by side in the same process, interleaved, median of the repeats.

The sentences are the text generator's (every pair and kind), each with numbers, a time, an amount and an acronym
put in, so that every rule has work to do.

    .venv/bin/python scripts/bench_frontend.py [--sentences 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from cstoolkit.text import normalize
from cstoolkit.text.generate import Settings, generate
from cstoolkit.text.langs import assign_languages
from cstoolkit.text.verbalize import normalize_text

EXTRAS = ["3", "2025", "10:30", "$5", "45%", "GPU", "1,250", "21.5"]


def corpus(count: int, seed: int) -> list[tuple[str, str]]:
    """``(text, pair)`` of ``count`` generated sentences, each with two of :data:`EXTRAS` appended to its words."""
    per_pair = max(1, count // 30)
    sentences = generate(Settings(per_pair=per_pair, seed=seed)).sentences
    rng = random.Random(seed)
    out = []
    for s in sentences[:count]:
        words = s.text.split()
        for extra in rng.sample(EXTRAS, 2):
            words.insert(rng.randrange(len(words) + 1), extra)
        out.append((" ".join(words), s.pair))
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sentences", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    texts = corpus(args.sentences, seed=1)
    runs = {
        "SAER normalize (baseline)": lambda: [normalize(t) for t, _ in texts],
        "assign languages": lambda: [assign_languages(t, pair) for t, pair in texts],
        "assign + verbalize": lambda: [normalize_text(t, pair) for t, pair in texts],
    }
    for fn in runs.values():  # warm-up: grammar, lexicon and num2words imports, regex compilation
        fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            times[name].append(timed(fn))
    base = statistics.median(times["SAER normalize (baseline)"])
    print(f"{len(texts)} generated code-switched sentences (11 pairs), each with two numbers/times/amounts/acronyms")
    print(f"{'run':<28} {'median s':>9} {'sent/s':>9} {'time vs baseline':>17}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<28} {median:>9.3f} {len(texts) / median:>9.0f} {median / base:>16.1f}x")


if __name__ == "__main__":
    main()
