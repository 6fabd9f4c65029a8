"""Process settings, made in one place: CPU threads, OpenMP's wait policy and the compute device.

* **OpenMP wait policy.** On a CPU shared with other processes, OpenMP's default busy-waiting makes every parallel
  op wait for a descheduled thread (measured here: 2 threads ran 4-6x slower than 1). :func:`init_process` sets
  ``OMP_WAIT_POLICY=PASSIVE`` (unless the user set it) before torch is imported: the ``cstk`` and ``saer`` entry
  points call it first thing, scripts call it before importing torch.
* **oneDNN primitive cache.** PyTorch's CPU convolutions keep a compiled oneDNN primitive, with its buffers, for
  every input shape they meet, up to 1,024 shapes by default. Duration-bucketed batches all differ in shape, so a
  training or a tokenization held on to more memory the more batches it ran, up to gigabytes (measured: the tiny
  CS-ASR trained for three epochs of 78 batches peaked at 1,455 MB, 971 MB with the cap; ``scripts/bench_scale.py``
  saw its peak grow by 600 MB per hour of training audio). :func:`init_process` caps the cache at
  ``ONEDNN_PRIMITIVE_CACHE_CAPACITY=64`` shapes (unless the user set it; read when the first convolution runs):
  enough for every convolution of one model at one shape (the flow estimator's Euler steps reuse theirs), and no
  slower where shapes never repeat (the cpu_small CS-ASR trains at the same speed).
* **Threads.** ``CSTK_THREADS=N`` in the environment caps every thread setting of a command (torch intra-op
  threads, CTranslate2's ``cpu_threads``), whatever its config (``trainer.num_threads``) or ``--threads`` asks for.
  The recipe sets it to 1 for the commands it runs side by side on a 2-core machine: the demo-sized models train as
  fast on one thread as on two (measured in ``recipes/switchlingua/README.md``, "Time"), so two commands with one
  thread each finish in the time of one. :func:`set_torch_threads` is the only place torch's count is set.
* **Device.** :func:`resolve_device` turns ``auto``/``cpu``/``cuda[:N]`` into a device that exists (checked before a
  model loads); :func:`shard_device` spreads the jobs of a sharded run over the visible GPUs.

This module imports torch only inside the functions that need it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from cstoolkit.errors import ConfigError

ENV = "CSTK_THREADS"
OMP_POLICY_ENV, OMP_POLICY = "OMP_WAIT_POLICY", "PASSIVE"
ONEDNN_CACHE_ENV, ONEDNN_CACHE_SHAPES = "ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64"


def init_process() -> None:
    """What every command sets before torch loads: the OpenMP wait policy and the oneDNN primitive cache's capacity
    (unless the user chose them), and a check of ``CSTK_THREADS`` (a bad value is a one-line error before anything
    runs)."""
    os.environ.setdefault(OMP_POLICY_ENV, OMP_POLICY)
    os.environ.setdefault(ONEDNN_CACHE_ENV, ONEDNN_CACHE_SHAPES)
    thread_cap()


def thread_cap() -> int | None:
    """The value of ``CSTK_THREADS`` (a positive integer), or None when it is unset or empty."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{ENV}={raw!r}: expected a positive integer (threads per command) or nothing")
    return int(raw)


def capped_threads(requested: int | None) -> int | None:
    """``requested`` (None or 0: the library's default) limited by ``CSTK_THREADS``."""
    cap = thread_cap()
    if cap is None:
        return requested or None
    return min(requested, cap) if requested else cap


def set_torch_threads(requested: int | None = None) -> None:
    """``torch.set_num_threads`` with the cap applied; with neither a request nor a cap, torch keeps its default."""
    threads = capped_threads(requested)
    if threads:
        import torch

        torch.set_num_threads(threads)


def _torch_cuda_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_device(name: str, what: str = "--device", cuda_count: Callable[[], int] | None = None) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; ``gpu`` means ``cuda``; ``cuda[:N]`` must exist.

    ``what`` names the option in the error message; ``cuda_count`` counts the GPUs (default: torch's count).
    """
    cuda_count = cuda_count or _torch_cuda_count
    name = name.strip().lower()
    if name == "cpu":
        return name
    if name == "auto":
        return "cuda" if cuda_count() > 0 else "cpu"
    kind, _, index = name.partition(":")
    if kind not in ("cuda", "gpu") or (index and not index.isdigit()):
        raise ConfigError(f"{what}: unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    count = cuda_count()
    if count == 0:
        raise ConfigError(f"{what}: no CUDA GPU is visible on this machine; use the CPU (cpu) instead")
    if index and int(index) >= count:
        raise ConfigError(f"{what}: GPU {index} does not exist ({count} visible)")
    return "cuda" + (f":{index}" if index else "")


def pick_device(device: str = "auto") -> Any:
    """The ``torch.device`` of :func:`resolve_device`."""
    import torch

    return torch.device(resolve_device(device))


def shard_device(device: str, job: int) -> str:
    """The device of job ``job`` of a sharded run: ``cuda``/``auto`` jobs go round the visible GPUs when there are
    several; others keep ``device``."""
    if device in ("cuda", "auto") and _torch_cuda_count() > 1:
        return f"cuda:{job % _torch_cuda_count()}"
    return device
