"""scripts/gpu_check.sh: the GPU check runs end to end on the CPU (``--cpu --tiny``: tiny corpus and models) and prints
its table; without a GPU and without ``--cpu`` it says so in one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_check.sh"
STEPS = [
    "corpus (espeak-ng)",
    "features",
    "units",
    "train CS-ASR",
    "train tokenizer",
    "extract speech tokens",
    "speaker d-vectors",
    "train flow model",
    "align units",
    "train text -> token model",
    "TTS of the test set",
    "SAER scoring",
]


def test_gpu_check_runs_end_to_end_on_the_cpu(tmp_path: Path) -> None:
    work = tmp_path / "work"
    cmd = ["bash", str(SCRIPT), "--cpu", "--tiny", "--work_dir", str(work), "--nj", "2", "--time_limit", "400"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=450)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    record = json.loads((work / "gpu_check.json").read_text())
    assert record["device"] == "cpu" and record["size"] == "tiny"
    assert [s["step"] for s in record["steps"]] == STEPS and all(s["ok"] for s in record["steps"])
    table = proc.stdout[proc.stdout.index("cstoolkit GPU check: CPU") :]
    for step in STEPS:
        assert f"| {step} " in table
    results = {s["step"]: s["result"] for s in record["steps"]}
    assert results["train CS-ASR"].startswith("1 epoch, ") and "steps/s" in results["train flow model"]
    assert "RTF" in results["TTS of the test set"] and "pairs/s" in results["SAER scoring"]
    assert (work / "exp" / "tts" / "synth_test" / "wav.scp").is_file()


def test_without_a_gpu_it_asks_for_cpu(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: the check would run")
    proc = subprocess.run(["bash", str(SCRIPT), "--work_dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "no CUDA GPU visible; run with --cpu" in proc.stderr
