"""The estimator U-Net and the token encoder: shapes, masks (padding changes nothing), the length regulator."""

from __future__ import annotations

import pytest
import torch

from cstoolkit.errors import ConfigError
from cstoolkit.tts.flow.estimator import Estimator
from cstoolkit.tts.flow.token_encoder import TokenEncoder, gather_linear, interpolation_positions
from cstoolkit.tts.layers import sequence_mask

C = 80


@pytest.fixture(autouse=True)
def no_grad():
    with torch.no_grad():
        yield


def small_estimator(**kw) -> Estimator:
    torch.manual_seed(0)
    args = {"channels": [16, 24, 32], "transformer_layers": [0, 1, 1], "heads": 2, "time_dim": 16} | kw
    return Estimator(n_mels=C, **args).eval()


def inputs(batch: int, frames: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    x, mu, cond = (torch.randn(batch, C, frames, generator=g) for _ in range(3))
    return x, mu, torch.rand(batch, generator=g), torch.randn(batch, C, generator=g), cond


@pytest.mark.parametrize("frames", [1, 2, 7, 16, 33])
def test_estimator_output_shape_for_any_length(frames):
    est = small_estimator()
    x, mu, t, spks, cond = inputs(2, frames)
    out = est(x, torch.ones(2, 1, frames), mu, t, spks, cond)
    assert out.shape == (2, C, frames) and torch.isfinite(out).all()


def test_estimator_padding_changes_nothing():
    est = small_estimator()
    lens = torch.tensor([21, 13])
    x, mu, t, spks, cond = inputs(2, 21)
    mask = sequence_mask(lens)
    garbage = 50 * (1 - mask)
    batched = est(x + garbage, mask, mu - garbage, t, spks, cond + garbage)
    assert float((batched * (1 - mask)).abs().max()) == 0.0
    for b, n in enumerate(lens.tolist()):
        alone = est(
            x[b : b + 1, :, :n],
            torch.ones(1, 1, n),
            mu[b : b + 1, :, :n],
            t[b : b + 1],
            spks[b : b + 1],
            cond[b : b + 1, :, :n],
        )
        torch.testing.assert_close(batched[b : b + 1, :, :n], alone, atol=1e-4, rtol=1e-4)


def test_estimator_reads_time_speaker_and_prompt():
    est = small_estimator()
    x, mu, t, spks, cond = inputs(1, 12)
    mask = torch.ones(1, 1, 12)
    base = est(x, mask, mu, t, spks, cond)
    for changed in (
        est(x, mask, mu, t * 0.5, spks, cond),
        est(x, mask, mu, t, spks + 1, cond),
        est(x, mask, mu, t, spks, cond + 1),
    ):
        assert float((changed - base).abs().max()) > 1e-4


def test_estimator_bad_sizes_are_config_errors():
    with pytest.raises(ConfigError, match="channels"):
        Estimator(channels=[15, 16], heads=2)
    with pytest.raises(ConfigError, match="transformer_layers"):
        Estimator(channels=[16, 16], transformer_layers=[1, 1, 1])


def test_interpolation_positions_stretch_each_utterance_over_its_own_frames():
    pos = interpolation_positions(torch.tensor([4, 2, 1]), torch.tensor([8, 2, 3]), 8)
    torch.testing.assert_close(pos[0], torch.tensor([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]))
    torch.testing.assert_close(pos[1, :2], torch.tensor([0.0, 1.0]))  # equal lengths: identity
    assert float(pos[2].abs().max()) == 0.0  # one token fills every frame
    ramp = torch.arange(4.0).view(1, 4, 1)  # linear interpolation reproduces a linear function
    torch.testing.assert_close(gather_linear(ramp, pos[:1])[0, 0], pos[0])


def test_token_encoder_shapes_and_padding():
    torch.manual_seed(0)
    enc = TokenEncoder(vocab_size=30, n_mels=C, d_model=16, layers=1, heads=2, dropout=0.0).eval()
    tokens = torch.randint(0, 30, (2, 9))
    token_lens, mel_lens = torch.tensor([9, 5]), torch.tensor([40, 23])
    padded = tokens.clone()
    padded[1, 5:] = -1  # padding ids outside the vocabulary are fine
    mu, mask = enc(padded, token_lens, mel_lens)
    assert mu.shape == (2, C, 40) and mask.shape == (2, 1, 40)
    assert float((mu * (1 - mask)).abs().max()) == 0.0
    alone, _ = enc(tokens[1:, :5], token_lens[1:], mel_lens[1:])
    torch.testing.assert_close(mu[1:, :, :23], alone, atol=1e-5, rtol=1e-5)
