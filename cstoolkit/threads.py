"""How many CPU threads one command may use.

``CSTK_THREADS=N`` in the environment caps every thread setting of a command (torch intra-op threads, CTranslate2's
``cpu_threads``), whatever its config or ``--threads`` asks for. The recipe sets it to 1 for the commands it runs
side by side on a 2-core machine: the demo-sized models train as fast on one thread as on two (measured in
``recipes/switchlingua/README.md``, "Time"), so two commands with one thread each finish in the time of one.
"""

from __future__ import annotations

import os

from cstoolkit.errors import ConfigError

ENV = "CSTK_THREADS"


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
