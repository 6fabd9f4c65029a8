#!/usr/bin/env python
"""Run-to-run spread of the demo CS-ASR: the same configuration trained with several seeds, each decoded and scored
on the test set, beside the bootstrap interval of one run. Which of the two is wider says what a difference between
two trainings must exceed before it means something.

    .venv/bin/python scripts/seed_spread.py --work-dir recipes/switchlingua/work          # after the recipe
    .venv/bin/python scripts/seed_spread.py --work-dir W --seeds 1234,1,2 --parallel 2 asr.train.max_epochs=5

The seed the recipe trained (``seed`` of conf/config.yaml, 1234) reuses ``<work-dir>/exp/asr`` and its
``decode_test``; every other seed trains into ``<work-dir>/exp/asr_seed<S>`` (``cstk train-asr ... seed=S``, resumed
when re-run) and decodes the test set as stage 4 does. ``--parallel N`` trains N seeds side by side, one CPU thread
each (``CSTK_THREADS=1``: the demo model trains as fast on one thread as on two). The summary goes to stdout and to
``<work-dir>/exp/asr_seeds.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RECIPE_SEED = 1234
CSTK = str(Path(sys.executable).parent / "cstk")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work-dir", required=True, help="the recipe's work dir (data/ and exp/ after stages 0-4)")
    p.add_argument("--seeds", default="1234,1,2", help="comma-separated training seeds")
    p.add_argument("--parallel", type=int, default=2, help="seeds trained side by side (one thread each)")
    p.add_argument("overrides", nargs="*", help="Hydra overrides for training and decoding (as given to the recipe)")
    return p.parse_args()


def run(cmd: list[str], log: Path, threads: int | None) -> None:
    """Run ``cmd`` with its output in ``log``; exit with the log's tail when it fails."""
    env = dict(os.environ, **({"CSTK_THREADS": str(threads)} if threads else {}))
    with open(log, "a", encoding="utf-8") as out:
        status = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode
    if status:
        tail = "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-5:])
        sys.exit(f"seed_spread: {' '.join(cmd[:2])} failed (exit {status}); end of {log}:\n{tail}")


def train_and_decode(work: Path, seed: int, overrides: list[str], threads: int | None) -> Path:
    """The ``decode_test`` folder of the model trained with ``seed`` (trained and decoded here unless it exists)."""
    exp = work / "exp" / ("asr" if seed == RECIPE_SEED else f"asr_seed{seed}")
    out = exp / "decode_test"
    if (out / "saer.json").is_file():
        return out
    exp.mkdir(parents=True, exist_ok=True)
    log = exp.parent / f"asr_seed{seed}.log"
    data = work / "data"
    start = time.perf_counter()
    train = [CSTK, "train-asr", "--train-dir", str(data / "train"), "--dev-dir", str(data / "dev")]
    train += ["--units-dir", str(data / "units"), "--exp-dir", str(exp), f"seed={seed}", *overrides]
    run(train, log, threads)
    decode = [CSTK, "decode-asr", "--model-dir", str(exp), "--data-dir", str(data / "test"), "--out-dir", str(out)]
    run([*decode, "--score", *overrides], log, threads)
    print(f"seed {seed}: trained and decoded in {time.perf_counter() - start:.0f} s ({log})", flush=True)
    return out


def figures(decode_dir: Path) -> dict:
    """MER and SAER of one run with their bootstrap intervals, from its ``saer.json``."""
    report = json.loads((decode_dir / "saer.json").read_text(encoding="utf-8"))
    ci = report.get("ci", {})
    return {
        "mer": report["form_error"],
        "saer": report["saer"],
        "mer_ci": ci.get("form_error"),
        "saer_ci": ci.get("saer"),
        "utterances": report["utterances"],
    }


def main() -> int:
    args = parse_args()
    work = Path(args.work_dir)
    seeds = [int(s) for s in args.seeds.split(",")]
    threads = 1 if args.parallel > 1 else None
    with ThreadPoolExecutor(max(1, args.parallel)) as pool:
        dirs = list(pool.map(lambda s: train_and_decode(work, s, args.overrides, threads), seeds))
    runs = {seed: figures(d) for seed, d in zip(seeds, dirs)}
    mers = [r["mer"] for r in runs.values()]
    spread = {
        "mean": statistics.fmean(mers),
        "stdev": statistics.stdev(mers) if len(mers) > 1 else 0.0,
        "min": min(mers),
        "max": max(mers),
    }
    one = runs[seeds[0]]
    width = (one["mer_ci"]["high"] - one["mer_ci"]["low"]) if one["mer_ci"] else None
    summary = {"seeds": runs, "mer_spread": spread, "bootstrap_width_of_one_run": width}
    print("| seed | test MER | 95% bootstrap interval | SAER |\n|---|---|---|---|")
    for seed, r in runs.items():
        ci = f"[{r['mer_ci']['low']:.4f}, {r['mer_ci']['high']:.4f}]" if r["mer_ci"] else "-"
        print(f"| {seed} | {r['mer']:.4f} | {ci} | {r['saer']:.4f} |")
    print(
        f"\nMER over {len(mers)} seeds: mean {spread['mean']:.4f}, stdev {spread['stdev']:.4f}, range "
        f"{spread['min']:.4f}-{spread['max']:.4f} ({spread['max'] - spread['min']:.4f} wide)"
    )
    if width is not None:
        wider = "the seed range" if spread["max"] - spread["min"] > width else "the bootstrap interval"
        print(f"bootstrap interval of seed {seeds[0]}: {width:.4f} wide; wider: {wider}")
    (work / "exp" / "asr_seeds.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
