"""run.sh stages 2-4 on a toy corpus: units, training, decoding + SAER (stage 5, Whisper, is tested in test_whisper)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "recipes" / "switchlingua" / "run.sh"
TINY = [
    "asr=tiny",
    "asr.train.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "units.spm_vocab_size=30",
    "metric.lam=1",
    "augment=none",
]


def test_stages_2_to_4(toy, tmp_path) -> None:
    work = tmp_path / "work"
    for split, src in (("train", "train"), ("dev", "dev"), ("test", "dev")):
        shutil.copytree(toy / src, work / "data" / split)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = ["bash", str(RUN), "--stage", "2", "--stop_stage", "4", "--work_dir", str(work), *TINY]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for path in (
        "data/units/tokens.txt",
        "exp/asr/model.pth",
        "exp/asr/decode_test/hyp.txt",
        "exp/asr/decode_test/saer.json",
        "exp/asr/decode_test/report.html",
    ):
        assert (work / path).is_file(), path
    assert json.loads((work / "exp/asr/decode_test/decode.json").read_text())["method"] == "beam"
    for n in (2, 3, 4):
        assert f"stage {n}" in proc.stderr
