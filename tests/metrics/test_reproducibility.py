"""SAER's reproducibility promise (``saer.SAER_TOLERANCE``), checked under the settings that change float sums.

Each setting runs in a fresh process, because OpenBLAS reads ``OPENBLAS_CORETYPE`` (which kernel) and
``OPENBLAS_NUM_THREADS`` once, when numpy loads: the default kernel of this CPU, a forced older kernel, one and two
BLAS threads, and worker processes (``jobs=2``, one thread each). The edit counts must be equal, SAER and every
per-utterance E_sem within the tolerance.

The bootstrap intervals (``--ci``) of the same seed: the form error's are the same numbers everywhere, those of SAER
and E_sem within the tolerance (their per-utterance inputs differ that much); and the same per-utterance E_sem values
give bit-identical intervals under every setting (the resampled sums are exact, whatever the BLAS kernel or threads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cstoolkit.metrics.saer import SAER_TOLERANCE

SCRIPT = """
import json, sys
from cstoolkit.metrics.saer import SAERConfig, compute_saer

from cstoolkit.metrics.bootstrap import add_intervals


def intervals(result):
    groups = {"corpus": result.corpus, **result.per_tag}
    out = {f"{g}:{name}": [i.low, i.high] for g, group in groups.items() for name, i in group.ci.items()}
    out.update({f"script:{name}": [i.low, i.high] for name, i in result.per_script_ci.items()})
    return out


if __name__ == "__main__":
    refs, hyps, jobs, tags, fixed = json.load(sys.stdin)
    config = SAERConfig(lam=0.5, model="use-multilingual")
    ids = [str(i + 1) for i in range(len(refs))]
    result = compute_saer(refs, hyps, ids, config=config, tags=tags, progress=False, jobs=jobs)
    counts = [result.substitutions, result.deletions, result.insertions]
    scored = intervals(add_intervals(result, 1000, seed=5))
    for utt, value in zip(result.per_utterance, fixed):
        utt.semantic_error = value
    given = intervals(add_intervals(result, 1000, seed=5))
    print(json.dumps([result.saer, counts, [u.semantic_error for u in result.per_utterance], scored, given]))
"""

WORDS = [
    "我",
    "今天",
    "去",
    "shopping",
    "mall",
    "买",
    "东西",
    "meeting",
    "明日",
    "の",
    "vamos",
    "al",
    "trabajo",
    "오늘",
    "회의가",
    "я",
    "забыл",
    "سأذهب",
    "إلى",
]


def _corpus(count: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(7)
    refs = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 10)))) for _ in range(count)]
    hyps = [r if i % 5 == 0 else r.replace("mall", "market", 1) + " ok" for i, r in enumerate(refs)]
    return refs, hyps


def _older_kernel() -> str:
    """An OpenBLAS kernel older than this CPU's own that every x86-64 CPU runs (Haswell where AVX2 is there)."""
    flags = Path("/proc/cpuinfo").read_text(errors="replace") if Path("/proc/cpuinfo").exists() else ""
    return "Haswell" if " avx2" in flags else "Prescott"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="OpenBLAS kernel names are for x86-64 Linux")
def test_saer_agrees_across_blas_kernels_threads_and_jobs(tmp_path) -> None:
    script = tmp_path / "score.py"
    script.write_text(SCRIPT)
    refs, hyps = _corpus(600)  # > 2 chunks of 256 distinct texts, so jobs=2 really uses the workers
    tags = {str(i + 1): ("zh-en", "es-en", "ja-en")[i % 3] for i in range(len(refs))}
    fixed = np.random.default_rng(3).random(len(refs)).tolist()  # per-utterance E_sem given to every setting
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
    settings = [
        ({}, 1),
        ({"OPENBLAS_NUM_THREADS": "1"}, 1),
        ({"OPENBLAS_CORETYPE": _older_kernel(), "OPENBLAS_NUM_THREADS": "2"}, 1),
        ({"OPENBLAS_CORETYPE": "Prescott"}, 2),
    ]
    results = []
    for extra, jobs in settings:
        done = subprocess.run(
            [sys.executable, str(script)],
            input=json.dumps([refs, hyps, jobs, tags, fixed]),
            env={**base_env, **extra, "HF_HUB_OFFLINE": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{extra} jobs={jobs}: {done.stderr[-2000:]}"
        results.append((extra, jobs, json.loads(done.stdout.strip().splitlines()[-1])))
    _, _, (saer0, counts0, sem0, scored0, given0) = results[0]
    scripts = [key for key in scored0 if key.startswith("script:")]
    assert len(scored0) == 4 * 3 + len(scripts) and len(scripts) >= 5 and given0.keys() == scored0.keys()
    for extra, jobs, (saer, counts, sem, scored, given) in results[1:]:
        assert counts == counts0, (extra, jobs)
        assert abs(saer - saer0) <= SAER_TOLERANCE, (extra, jobs, saer, saer0)
        np.testing.assert_allclose(sem, sem0, rtol=0, atol=SAER_TOLERANCE, err_msg=f"{extra} jobs={jobs}")
        assert given == given0, (extra, jobs)  # the same inputs: bit for bit
        assert scored.keys() == scored0.keys()
        for key, bounds in scored.items():
            if key.endswith("form_error") or key.startswith("script:"):  # integer counts: exact
                assert bounds == scored0[key], (extra, jobs, key)
            else:
                np.testing.assert_allclose(bounds, scored0[key], rtol=0, atol=SAER_TOLERANCE, err_msg=key)
