"""cstoolkit.core.runtime: the process settings every command makes before torch loads."""

from __future__ import annotations

import json
import subprocess
import sys

from cstoolkit.core import runtime

#: convolutions over 100 input shapes, as duration-bucketed batches give them; prints the growth of resident memory
CONV_SHAPES = """
import json, sys
from cstoolkit.core.runtime import init_process
if sys.argv[1] == "init":
    init_process()
import torch
torch.set_num_threads(1)
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
conv = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, 2), torch.nn.ReLU(), torch.nn.Conv2d(32, 32, 5, 3))
conv(torch.randn(8, 1, 200, 80)).sum().backward()
start = rss_mb()
for i in range(100):
    frames = 200 + 7 * i
    conv(torch.randn(max(1, 4000 // frames), 1, frames, 80)).sum().backward()
print(json.dumps({"growth_mb": rss_mb() - start}))
"""


def test_init_process_caps_the_onednn_cache_unless_set(monkeypatch) -> None:
    monkeypatch.delenv(runtime.ONEDNN_CACHE_ENV, raising=False)
    runtime.init_process()
    assert runtime.os.environ[runtime.ONEDNN_CACHE_ENV] == runtime.ONEDNN_CACHE_SHAPES
    monkeypatch.setenv(runtime.ONEDNN_CACHE_ENV, "7")
    runtime.init_process()
    assert runtime.os.environ[runtime.ONEDNN_CACHE_ENV] == "7"


def test_memory_stays_flat_over_many_batch_shapes() -> None:
    """Without the cap (oneDNN's default capacity of 1,024 shapes) the 100 shapes kept 480 MB more resident on the
    2-core test machine; with it, 83 MB."""
    env = {k: v for k, v in runtime.os.environ.items() if k != runtime.ONEDNN_CACHE_ENV}
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", CONV_SHAPES, "init"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["growth_mb"] < 250
