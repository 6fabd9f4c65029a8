#!/usr/bin/env python
"""Benchmark SAER: (a) the form part against jiwer.wer on the same unit lists, (b) full SAER against two baselines
of the same model on the same data, in the same process: a naive loop that embeds each pair separately, and the
limit, the model alone embedding each distinct text of the corpus once in its best batch size (what full SAER could
take at best if normalising, aligning and pooling were free).

``--mode ci`` instead times ``saer REF HYP --lambda 1`` on the corpus with and without ``--bootstrap 1000`` (the
intervals' cost), interleaved in the same run: as a whole command (a fresh process each time, what a user waits
for) and as the scoring inside one process (``cstoolkit.cli.saer.main``, without interpreter start and imports).

    .venv/bin/python scripts/bench_saer.py [--pairs 10000] [--model use-multilingual] [--jobs CORES]
    .venv/bin/python scripts/bench_saer.py --mode ci [--pairs 10000] [--resamples 1000] [--repeats-ci 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jiwer
import numpy as np

from cstoolkit.metrics.align import EditCounts, align
from cstoolkit.metrics.saer import SAER_TOLERANCE, SAERConfig, compute_saer
from cstoolkit.metrics.semantic import load_backend
from cstoolkit.metrics.semantic_distance import needs_model
from cstoolkit.text import normalize, split_units

LEXICON = {
    "zh": list("我今天去买东西明天学校朋友吃饭工作时间电话公司开会"),
    "ja": ["今日", "は", "会議", "が", "あります", "スーパー", "に", "行きます", "明日", "の"],
    "ko": ["오늘", "회의가", "있어요", "내일", "친구를", "만나요"],
    "hi": ["मैं", "कल", "जाऊँगा", "दोस्तों", "के", "साथ"],
    "ru": ["я", "забыл", "свой", "дома", "сегодня", "вечером"],
    "ar": ["سأذهب", "إلى", "بعد", "غدا", "مع", "أصدقائي"],
    "es": ["vamos", "al", "después", "del", "con", "mis", "amigos"],
    "en": ["shopping", "mall", "meeting", "work", "laptop", "party", "deadline", "weekend", "project", "email"],
}


def make_corpus(pairs: int, seed: int) -> tuple[list[str], list[str]]:
    """Mixed-script sentences (a matrix language + English words) and noisy hypotheses; a quarter are exact."""
    rng = random.Random(seed)
    langs = [k for k in LEXICON if k != "en"]
    refs, hyps = [], []
    for _ in range(pairs):
        lang = rng.choice(langs)
        words = [rng.choice(LEXICON["en"] if rng.random() < 0.3 else LEXICON[lang]) for _ in range(rng.randint(4, 14))]
        joiner = "" if lang == "zh" else " "
        ref = joiner.join(words) if lang == "zh" else " ".join(words)
        hyp_words = list(words)
        if rng.random() > 0.25:
            for _ in range(rng.randint(1, 3)):
                op, pos = rng.random(), rng.randrange(len(hyp_words))
                if op < 0.5:
                    hyp_words[pos] = rng.choice(LEXICON[lang] + LEXICON["en"])
                elif op < 0.75 and len(hyp_words) > 1:
                    del hyp_words[pos]
                else:
                    hyp_words.insert(pos, rng.choice(LEXICON["en"]))
        refs.append(ref)
        hyps.append(joiner.join(hyp_words) if lang == "zh" else " ".join(hyp_words))
    return refs, hyps


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


#: What the intervals may add to ``saer --lambda 1`` on 10,000 utterances with 1000 resamples.
CI_TARGET_RATIO = 1.10


def bench_ci(pairs: int, seed: int, resamples: int, repeats: int) -> None:
    """Time ``saer --lambda 1`` with and without ``--bootstrap N`` (best of ``repeats``, interleaved)."""
    from cstoolkit.cli.saer import main as saer_main

    refs, hyps = make_corpus(pairs, seed)
    with tempfile.TemporaryDirectory() as tmp:
        ref, hyp = Path(tmp) / "ref.txt", Path(tmp) / "hyp.txt"
        ref.write_text("".join(f"utt{i:06d} {text}\n" for i, text in enumerate(refs)), encoding="utf-8")
        hyp.write_text("".join(f"utt{i:06d} {text}\n" for i, text in enumerate(hyps)), encoding="utf-8")
        plain = [str(ref), str(hyp), "--lambda", "1"]
        variants = {"without": plain, "with": [*plain, "--bootstrap", str(resamples)]}
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}

        def command(argv: list[str]) -> float:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "cstoolkit.cli.saer", *argv],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            return time.perf_counter() - start

        def in_process(argv: list[str]) -> float:
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                saer_main(argv)
            return time.perf_counter() - start

        times: dict[tuple[str, str], list[float]] = {}
        in_process(plain)  # warm up: imports, caches
        for _ in range(repeats):  # interleaved, so a slow spell of the machine hits both
            for name, argv in variants.items():
                times.setdefault(("command", name), []).append(command(argv))
                times.setdefault(("in-process", name), []).append(in_process(argv))
    print(
        f"corpus: {pairs} utterances; saer --lambda 1 with and without --bootstrap {resamples} "
        f"(best of {repeats}, interleaved)"
    )
    for kind in ("command", "in-process"):
        without, with_ci = min(times[(kind, "without")]), min(times[(kind, "with")])
        print(
            f"  {kind:10s}  without {without:7.3f} s   with {with_ci:7.3f} s   ratio {with_ci / without:.3f}x   "
            f"(+{(with_ci - without) * 1000:.0f} ms)"
        )
    ratio = min(times[("command", "with")]) / min(times[("command", "without")])
    print(f"  the command with intervals takes {ratio:.3f}x its time without (target <= {CI_TARGET_RATIO:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--mode",
        choices=("full", "ci"),
        default="full",
        help="full: form part vs jiwer, full SAER vs baselines; ci: cost of --bootstrap",
    )
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of --mode ci")
    parser.add_argument("--repeats-ci", type=int, default=5, help="best of N for --mode ci")
    parser.add_argument("--pairs", type=int, default=10000)
    parser.add_argument("--model", default="use-multilingual")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="best of N for the form part")
    parser.add_argument("--repeats-full", type=int, default=2, help="best of N for full SAER")
    parser.add_argument("--limit-batches", default="32,64,128,256,512,1024", help="batch sizes tried for the limit")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="embedding processes (default: cores)")
    args = parser.parse_args()
    if args.mode == "ci":
        bench_ci(args.pairs, args.seed, args.resamples, args.repeats_ci)
        return

    refs, hyps = make_corpus(args.pairs, args.seed)
    ref_units = [split_units(normalize(t)) for t in refs]
    hyp_units = [split_units(normalize(t)) for t in hyps]
    print(
        f"corpus: {args.pairs} pairs, {sum(map(len, ref_units))} reference units, "
        f"{sum(r == h for r, h in zip(refs, hyps))} identical pairs"
    )

    # (a) form part on the same unit lists: our alignment + pooling vs jiwer.wer on space-joined units.
    joined_refs = [" ".join(u) for u in ref_units]
    joined_hyps = [" ".join(u) for u in hyp_units]

    def ours_form() -> float:
        total = EditCounts()
        for r, h in zip(ref_units, hyp_units):
            total.add(align(r, h).counts)
        return total.error_rate

    ours_err, ours_t = min((timed(ours_form) for _ in range(args.repeats)), key=lambda x: x[1])
    jiwer_err, jiwer_t = min(
        (timed(lambda: jiwer.wer(joined_refs, joined_hyps)) for _ in range(args.repeats)), key=lambda x: x[1]
    )
    assert abs(ours_err - jiwer_err) < 1e-12, (ours_err, jiwer_err)
    full_form, full_form_t = timed(lambda: compute_saer(refs, hyps, config=SAERConfig(lam=1.0), progress=False))
    assert abs(full_form.form_error - ours_err) < 1e-12
    print("\n(a) form part (mixed error rate), pairs/second")
    print(f"  jiwer.wer on unit lists          {args.pairs / jiwer_t:12,.0f}   error {jiwer_err:.4f}")
    print(f"  cstoolkit align + pooling        {args.pairs / ours_t:12,.0f}   error {ours_err:.4f}")
    print(f"  cstoolkit SAER lam=1 from text   {args.pairs / full_form_t:12,.0f}   (normalise, split, per-script)")
    print(
        f"  time ratio ours/jiwer: {ours_t / jiwer_t:.2f}x (target <= 1.5x); "
        f"from raw text incl. breakdowns: {full_form_t / jiwer_t:.2f}x"
    )

    # (b) full SAER vs a naive loop embedding each pair separately with the same model (best of --repeats-full).
    backend = load_backend(args.model)
    backend.embed(["warm up"])
    config = SAERConfig(lam=0.5, model=args.model)

    def naive() -> float:
        total, semantic = EditCounts(), []
        for r, h in zip(refs, hyps):
            nr, nh = normalize(r), normalize(h)
            total.add(align(split_units(nr), split_units(nh)).counts)
            e = backend.embed([nr, nh])  # the naive way: every pair, one call, no skipping or de-duplication
            semantic.append(1.0 - max(0.0, float(np.dot(e[0], e[1]))))
        return 0.5 * total.error_rate + 0.5 * float(np.mean(semantic))

    normed = [(normalize(r), normalize(h)) for r, h in zip(refs, hyps)]
    todo = [(r, h) for r, h in normed if needs_model(r, h)]
    distinct_texts = list(dict.fromkeys(t for pair in todo for t in pair))

    encode = getattr(backend, "encode", backend.embed)  # the model's own batch call, without our chunking

    def limit(batch: int) -> float:
        for start in range(0, len(distinct_texts), batch):
            encode(distinct_texts[start : start + batch])
        return float(batch)

    batch_sizes = [int(b) for b in args.limit_batches.split(",")]
    best_batch = min(batch_sizes, key=lambda b: timed(lambda: limit(b))[1])  # one pass each: pick the batch size

    jobs = max(2, args.jobs)
    runs: dict[str, list[tuple[float, float]]] = {"naive": [], "limit": [], "ours": [], "ours_jobs": []}
    for _ in range(args.repeats_full):  # interleaved, so a slow spell of the machine hits every contender
        runs["naive"].append(timed(naive))
        runs["limit"].append(timed(lambda: limit(best_batch)))
        result, seconds = timed(lambda: compute_saer(refs, hyps, config=config, backend=backend, progress=False))
        runs["ours"].append((result.saer, seconds))
        result, seconds = timed(lambda: compute_saer(refs, hyps, config=config, progress=False, jobs=jobs))
        runs["ours_jobs"].append((result.saer, seconds))
    best = {name: min(values, key=lambda x: x[1]) for name, values in runs.items()}
    (naive_saer, naive_t), (ours_saer, ours_t), (jobs_saer, jobs_t) = best["naive"], best["ours"], best["ours_jobs"]
    limit_t = best["limit"][1]
    assert abs(naive_saer - ours_saer) < 1e-3, (naive_saer, ours_saer)  # identical pairs: cos ~1 vs exactly 0
    assert abs(jobs_saer - ours_saer) <= SAER_TOLERANCE, (jobs_saer, ours_saer)
    distinct = len(distinct_texts)
    print(f"\n(b) full SAER with {backend.signature}, pairs/second (best of {args.repeats_full})")
    print(
        f"  texts embedded: naive {2 * args.pairs:,}; ours {distinct:,} ({len(todo):,} pairs need the model, "
        f"each distinct text once)"
    )
    print(f"  naive loop (one embed call per pair)        {args.pairs / naive_t:10,.0f}   SAER {naive_saer:.4f}")
    print(
        f"  limit: the model alone, each distinct text  {args.pairs / limit_t:10,.0f}   "
        f"({distinct / limit_t:,.0f} texts/s in batches of {best_batch}, chosen from {args.limit_batches})"
    )
    print(f"  cstoolkit (batched, each text once)         {args.pairs / ours_t:10,.0f}   SAER {ours_saer:.4f}")
    print(f"  cstoolkit, {jobs} embedding processes          {args.pairs / jobs_t:10,.0f}   SAER {jobs_saer:.4f}")
    print(
        f"  speed-up: {naive_t / ours_t:.1f}x in one process, {naive_t / jobs_t:.1f}x with jobs={jobs} "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"  time ratio to the limit: {ours_t / limit_t:.2f}x with --jobs 1, {jobs_t / limit_t:.2f}x with "
        f"--jobs {jobs} (goal <= 1.1x)"
    )


if __name__ == "__main__":
    main()
