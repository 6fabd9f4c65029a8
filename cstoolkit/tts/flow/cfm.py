"""Optimal-transport conditional flow matching (OT-CFM): training loss and Euler sampler.

The maths of Lipman et al. 2023 ("Flow Matching for Generative Modeling", the OT path with sigma_min), as used by
Matcha-TTS (Mehta et al. 2024) and CosyVoice (Du et al. 2024). With noise ``z ~ N(0, I)``, data ``x1`` (a mel),
``s = sigma_min`` and ``t in [0, 1]``:

    x_t    = (1 - (1 - s) t) z + t x1        a straight line from noise (t = 0) to data (t = 1)
    u_t    = x1 - (1 - s) z                  its velocity dx_t/dt, constant along the line
    loss   = sum(mask * (v(x_t, t, c) - u_t)^2) / (sum(mask) * n_mels)

At inference ``dx/dt = v(x, t, c)`` is integrated from ``x_0 = z`` with Euler steps on a time grid (``linear``, or
``cosine``: t' = 1 - cos(pi t / 2), denser near t = 0 where the flow bends most). Classifier-free guidance (Ho &
Salimans 2022) combines a conditional and an unconditional velocity: ``v = w v_cond + (1 - w) v_uncond``; ``w = 1``
is the conditional model alone (CosyVoice uses w = 1.7). The conditions ``(mu, spks, cond)`` are dropped together
(zeroed) with probability ``drop_prob`` in training so that one network learns both.

Shapes: ``B`` batch, ``C`` mel bins, ``T`` frames; masks are ``(B, 1, T)`` with 1 on valid frames.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
from torch import Tensor

from cstoolkit.errors import ConfigError

#: ``estimator(x_t (B, C, T), mask (B, 1, T), mu (B, C, T), t (B,), spks (B, C), cond (B, C, T)) -> v (B, C, T)``
Estimator = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], Tensor]
#: time grids of the Euler solver: name -> map of a uniform grid on [0, 1] onto the solver's grid
SCHEDULES: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": lambda t: t,
    "cosine": lambda t: 1.0 - torch.cos(t * (math.pi / 2)),
}


def time_grid(steps: int, schedule: str, device: torch.device | None = None) -> Tensor:
    """The ``steps + 1`` solver times ``(steps + 1,)`` from 0 to 1 under ``schedule`` (see :data:`SCHEDULES`)."""
    if schedule not in SCHEDULES:
        raise ConfigError(f"bad configuration value schedule={schedule!r}: expected one of {', '.join(SCHEDULES)}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ConfigError(f"bad configuration value steps={steps!r}: expected a whole number >= 1")
    return SCHEDULES[schedule](torch.linspace(0.0, 1.0, steps + 1, device=device))


class CFM:
    """OT-CFM with CosyVoice's ``sigma_min`` path; holds no parameters (the estimator is passed in)."""

    def __init__(self, sigma_min: float = 1e-6, drop_prob: float = 0.2, train_schedule: str = "linear") -> None:
        if not 0.0 <= sigma_min < 1.0:
            raise ConfigError(f"bad configuration value sigma_min={sigma_min}: expected 0 <= sigma_min < 1")
        if not 0.0 <= drop_prob <= 1.0:
            raise ConfigError(f"bad configuration value drop_prob={drop_prob}: expected a probability")
        time_grid(1, train_schedule)  # validates the name
        self.sigma_min = sigma_min
        self.drop_prob = drop_prob
        self.train_schedule = train_schedule

    def path(self, x1: Tensor, z: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """The point ``x_t`` and the target velocity ``u_t`` (both ``(B, C, T)``) for data ``x1``, noise ``z``
        (``(B, C, T)``) and times ``t`` ``(B,)``."""
        t = t.view(-1, 1, 1)
        x_t = (1.0 - (1.0 - self.sigma_min) * t) * z + t * x1
        return x_t, x1 - (1.0 - self.sigma_min) * z

    def loss(
        self,
        x1: Tensor,
        mask: Tensor,
        mu: Tensor,
        spks: Tensor,
        cond: Tensor,
        estimator: Estimator,
        loss_mask: Tensor | None = None,
        t: Tensor | None = None,
        z: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """Masked flow-matching MSE for a batch.

        Args:
            x1: target mels ``(B, C, T)``; mask: valid frames ``(B, 1, T)``.
            mu: frame-level token condition ``(B, C, T)``; spks: speaker condition ``(B, C)``; cond: prompt mel
                ``(B, C, T)`` (zeros outside the prompt).
            estimator: the velocity network (see :data:`Estimator`).
            loss_mask: frames that count in the loss ``(B, 1, T)`` (default ``mask``).
            t: times ``(B,)`` (default: uniform, mapped by ``train_schedule``); z: noise (default ``N(0, I)``).
        Returns:
            ``{"flow_mse": scalar}``: the mean squared velocity error per valid frame and bin.
        """
        batch = x1.shape[0]
        if t is None:
            t = SCHEDULES[self.train_schedule](torch.rand(batch, device=x1.device, dtype=x1.dtype))
        if z is None:
            z = torch.randn_like(x1)
        if self.drop_prob > 0:  # classifier-free guidance: all conditions of a sample dropped together
            keep = (torch.rand(batch, device=x1.device) >= self.drop_prob).to(x1.dtype)
            mu, spks, cond = mu * keep.view(-1, 1, 1), spks * keep.view(-1, 1), cond * keep.view(-1, 1, 1)
        x_t, target = self.path(x1, z, t)
        pred = estimator(x_t * mask, mask, mu, t, spks, cond)
        weight = mask if loss_mask is None else loss_mask
        error = ((pred - target) ** 2 * weight).sum()
        return {"flow_mse": error / (weight.sum().clamp(min=1) * x1.shape[1])}

    @torch.no_grad()
    def sample(
        self,
        mu: Tensor,
        mask: Tensor,
        spks: Tensor,
        cond: Tensor,
        estimator: Estimator,
        steps: int = 10,
        schedule: str = "cosine",
        guidance: float = 1.0,
        z: Tensor | None = None,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Integrate the learned flow from noise to a mel ``(B, C, T)`` with ``steps`` Euler steps.

        ``mu``/``cond`` ``(B, C, T)``, ``mask`` ``(B, 1, T)``, ``spks`` ``(B, C)``. ``guidance`` is the
        classifier-free guidance weight w (1: conditional only, one network call per step; otherwise the
        conditional and unconditional calls share one batch of 2B). ``z`` gives the starting noise, else it is
        drawn (``temperature`` scales it; ``generator`` makes it reproducible).
        """
        grid = time_grid(steps, schedule, mu.device).to(mu.dtype)
        if z is None:
            z = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype) * temperature
        x = z * mask
        guided = guidance != 1.0
        if guided:
            mask2 = torch.cat([mask, mask])
            mu2, spks2, cond2 = (torch.cat([c, torch.zeros_like(c)]) for c in (mu, spks, cond))
        for t0, t1 in itertools.pairwise(grid):
            t = t0.expand(x.shape[0])
            if guided:
                v_cond, v_uncond = estimator(torch.cat([x, x]), mask2, mu2, torch.cat([t, t]), spks2, cond2).chunk(2)
                v = guidance * v_cond + (1.0 - guidance) * v_uncond
            else:
                v = estimator(x, mask, mu, t, spks, cond)
            x = (x + (t1 - t0) * v) * mask
        return x
