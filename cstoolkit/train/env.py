"""Process settings that must be made before torch is imported."""

from __future__ import annotations

import os

from omegaconf import DictConfig


def set_thread_env(trainer_cfg: DictConfig) -> None:
    """Set ``OMP_WAIT_POLICY`` (unless the user did) before torch loads OpenMP.

    On a CPU shared with other processes, OpenMP's default busy-waiting makes every parallel op wait for a
    descheduled thread: measured here, 2 threads ran 4-6x slower than 1. ``PASSIVE`` threads sleep instead.
    """
    policy = trainer_cfg.get("omp_wait_policy")
    if policy:
        os.environ.setdefault("OMP_WAIT_POLICY", str(policy))
