"""OT-CFM maths on tiny tensors: the path, the masked loss, the Euler solver, classifier-free guidance."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from cstoolkit.errors import ConfigError
from cstoolkit.tts.flow.cfm import CFM, time_grid

B, C, T = 2, 4, 7


def tensors(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "x1": torch.randn(B, C, T, generator=g),
        "z": torch.randn(B, C, T, generator=g),
        "mu": torch.randn(B, C, T, generator=g),
        "spks": torch.randn(B, C, generator=g),
        "cond": torch.randn(B, C, T, generator=g),
    }


def exact_field(cfm: CFM, x1: torch.Tensor):
    """The velocity of the straight path through x1: v(x, t) = (x1 - (1 - s) x) / (1 - (1 - s) t)."""
    s = cfm.sigma_min

    def estimator(x, mask, mu, t, spks, cond):
        return (x1 - (1 - s) * x) / (1 - (1 - s) * t.view(-1, 1, 1)) * mask

    return estimator


def toy_estimator(x, mask, mu, t, spks, cond):
    """A velocity that depends on every input, frame by frame (so masking can be checked)."""
    return (torch.tanh(x) * (1 + t.view(-1, 1, 1)) + mu - cond * 0.5 + spks.unsqueeze(-1)) * mask


def test_path_goes_from_noise_to_data_with_constant_velocity():
    cfm, d = CFM(sigma_min=1e-6), tensors()
    t = torch.tensor([0.0, 1.0])
    x_t, target = cfm.path(d["x1"], d["z"], t)
    torch.testing.assert_close(x_t[0], d["z"][0])
    torch.testing.assert_close(x_t[1], d["x1"][1] + 1e-6 * d["z"][1])
    h = 1e-3  # the target is dx_t/dt
    a, _ = cfm.path(d["x1"], d["z"], torch.full((B,), 0.3))
    b, _ = cfm.path(d["x1"], d["z"], torch.full((B,), 0.3 + h))
    torch.testing.assert_close((b - a) / h, target, atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("steps", [1, 3, 10])
def test_euler_with_the_exact_velocity_lands_on_the_data(schedule, steps):
    cfm, d = CFM(), tensors()
    mask = torch.ones(B, 1, T)
    out = cfm.sample(d["mu"], mask, d["spks"], d["cond"], exact_field(cfm, d["x1"]), steps, schedule, z=d["z"])
    torch.testing.assert_close(out, d["x1"], atol=1e-4, rtol=1e-4)


def test_loss_is_zero_for_the_exact_velocity_and_positive_otherwise():
    cfm, d = CFM(drop_prob=0.0), tensors()
    mask = torch.ones(B, 1, T)
    args = (d["x1"], mask, d["mu"], d["spks"], d["cond"])
    exact = cfm.loss(*args, exact_field(cfm, d["x1"]), t=torch.tensor([0.2, 0.7]), z=d["z"])
    assert set(exact) == {"flow_mse"}
    assert float(exact["flow_mse"]) < 1e-8
    assert float(cfm.loss(*args, toy_estimator, z=d["z"])["flow_mse"]) > 0.1


def test_padding_changes_neither_loss_nor_samples():
    cfm, d = CFM(drop_prob=0.0), tensors()
    lens = torch.tensor([T, 4])
    mask = (torch.arange(T)[None] < lens[:, None]).unsqueeze(1).float()
    t = torch.tensor([0.3, 0.8])
    # the same batch, with 5 extra padded frames full of garbage and garbage on the padding of sample 1
    pad = lambda x: torch.cat([x * mask + 100 * (1 - mask), torch.full((B, C, 5), 7.0)], dim=-1)  # noqa: E731
    mask_p = torch.cat([mask, torch.zeros(B, 1, 5)], dim=-1)
    short = cfm.loss(d["x1"], mask, d["mu"], d["spks"], d["cond"], toy_estimator, t=t, z=d["z"])["flow_mse"]
    padded = cfm.loss(pad(d["x1"]), mask_p, pad(d["mu"]), d["spks"], pad(d["cond"]), toy_estimator, t=t, z=pad(d["z"]))[
        "flow_mse"
    ]
    torch.testing.assert_close(padded, short)
    x_t, target = cfm.path(d["x1"], d["z"], t)
    error = (toy_estimator(x_t * mask, mask, d["mu"], t, d["spks"], d["cond"]) - target) ** 2
    ref = (error * mask).sum() / (mask.sum() * C)
    torch.testing.assert_close(short, ref)
    a = cfm.sample(d["mu"], mask, d["spks"], d["cond"], toy_estimator, 4, "cosine", 1.7, z=d["z"])
    b = cfm.sample(pad(d["mu"]), mask_p, d["spks"], pad(d["cond"]), toy_estimator, 4, "cosine", 1.7, z=pad(d["z"]))
    torch.testing.assert_close(b[..., :T] * mask, a)
    assert float(b[..., T:].abs().max()) == 0.0 and float((a * (1 - mask)).abs().max()) == 0.0


def test_loss_mask_selects_the_frames_that_count():
    cfm, d = CFM(drop_prob=0.0), tensors()
    mask = torch.ones(B, 1, T)
    only_last = torch.zeros(B, 1, T)
    only_last[..., -1] = 1
    t = torch.tensor([0.3, 0.8])
    full = cfm.loss(d["x1"], mask, d["mu"], d["spks"], d["cond"], toy_estimator, only_last, t=t, z=d["z"])
    x_t, target = cfm.path(d["x1"], d["z"], t)
    err = (toy_estimator(x_t, mask, d["mu"], t, d["spks"], d["cond"]) - target)[..., -1] ** 2
    torch.testing.assert_close(full["flow_mse"], err.mean())


def test_guidance_one_is_the_conditional_flow_and_other_weights_mix_in_the_unconditional():
    cfm, d = CFM(), tensors()
    mask = torch.ones(B, 1, T)
    cond_args = (d["mu"], mask, d["spks"], d["cond"])

    def manual(weight: float, steps: int = 5) -> torch.Tensor:
        grid, x = time_grid(steps, "cosine"), d["z"].clone()
        zeros = [torch.zeros_like(v) for v in (d["mu"], d["spks"], d["cond"])]
        for t0, t1 in itertools.pairwise(grid):
            t = t0.expand(B)
            v_c = toy_estimator(x, mask, d["mu"], t, d["spks"], d["cond"])
            v_u = toy_estimator(x, mask, zeros[0], t, zeros[1], zeros[2])
            x = x + (t1 - t0) * (weight * v_c + (1 - weight) * v_u)
        return x

    one = cfm.sample(*cond_args, toy_estimator, 5, "cosine", 1.0, z=d["z"])
    torch.testing.assert_close(one, manual(1.0), atol=1e-5, rtol=1e-5)
    guided = cfm.sample(*cond_args, toy_estimator, 5, "cosine", 1.7, z=d["z"])
    torch.testing.assert_close(guided, manual(1.7), atol=1e-5, rtol=1e-5)
    assert float((guided - one).abs().max()) > 1e-2


def test_conditions_are_dropped_together():
    seen = []

    def recorder(x, mask, mu, t, spks, cond):
        seen.append([float(v.abs().sum()) for v in (mu, spks, cond)])
        return x * 0

    d, mask = tensors(), torch.ones(B, 1, T)
    CFM(drop_prob=1.0).loss(d["x1"], mask, d["mu"], d["spks"], d["cond"], recorder)
    CFM(drop_prob=0.0).loss(d["x1"], mask, d["mu"], d["spks"], d["cond"], recorder)
    assert seen[0] == [0.0, 0.0, 0.0]
    assert all(v > 0 for v in seen[1])
    torch.manual_seed(0)  # with p = 0.5 each sample keeps all three or none
    cfm = CFM(drop_prob=0.5)
    for _ in range(20):
        cfm.loss(
            d["x1"],
            mask,
            d["mu"],
            d["spks"],
            d["cond"],
            lambda x, m, mu, t, s, c: (
                seen.append((mu.abs().sum((1, 2)) > 0, s.abs().sum(1) > 0, c.abs().sum((1, 2)) > 0)) or x * 0
            ),
        )
    for kept_mu, kept_spk, kept_cond in seen[2:]:
        assert torch.equal(kept_mu, kept_spk) and torch.equal(kept_mu, kept_cond)


def test_time_grid_and_bad_settings():
    torch.testing.assert_close(time_grid(4, "linear"), torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    cos = time_grid(2, "cosine")
    torch.testing.assert_close(cos, torch.tensor([0.0, 1 - math.cos(math.pi / 4), 1.0]))
    with pytest.raises(ConfigError, match="schedule='exp'"):
        time_grid(4, "exp")
    with pytest.raises(ConfigError, match="steps=0"):
        time_grid(0, "linear")
    with pytest.raises(ConfigError, match="drop_prob"):
        CFM(drop_prob=1.5)
    with pytest.raises(ConfigError, match="sigma_min"):
        CFM(sigma_min=1.0)
