"""The NAR text -> speech-token model on tiny tensors: losses, masks, length regulator, generation lengths."""

from __future__ import annotations

import pytest
import torch

from cstoolkit.errors import ConfigError
from cstoolkit.tts.t2s.base import build_t2s_model, fill_from_data
from cstoolkit.tts.t2s.nar import NarT2S

SIZES = {
    "unit_vocab_size": 20,
    "lang_vocab_size": 4,
    "codebook_size": 16,
    "speaker_dim": 8,
    "d_model": 16,
    "heads": 2,
    "ff_mult": 2,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "dropout": 0.0,
    "duration_channels": 16,
    "duration_layers": 1,
    "duration_dropout": 0.0,
    "max_unit_frames": 50,
}


def tiny(**kw) -> NarT2S:
    torch.manual_seed(0)
    return NarT2S(**{**SIZES, **kw})


def batch():
    """Two utterances: 3 units / 7 frames and 2 units / 3 frames (padding filled with junk on purpose)."""
    units = torch.tensor([[3, 4, 5], [6, 7, 99]])
    langs = torch.tensor([[1, 1, 2], [2, 2, 77]])
    durations = torch.tensor([[2, 1, 4], [1, 2, 50]])
    tokens = torch.tensor([[1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 999, 999, 999, 999]])
    return units, torch.tensor([3, 2]), langs, durations, tokens, torch.tensor([7, 3])


def test_regulate_repeats_units_by_duration():
    model = tiny()
    h = torch.arange(2 * 16 * 3, dtype=torch.float32).view(2, 16, 3)
    durations = torch.tensor([[2, 1, 4], [1, 2, 0]])
    x, mask = model.regulate(h, durations)
    assert x.shape == (2, 16, 7) and mask.shape == (2, 1, 7)
    assert mask[:, 0].sum(1).tolist() == [7, 3]
    # the regulator is linear in h: shifting h by d shifts each frame by its unit's d (positions cancel out)
    d = torch.randn(2, 16, 3)
    moved, _ = model.regulate(h + d, durations)
    units_of_frames = [[0, 0, 1, 2, 2, 2, 2], [0, 1, 1]]
    for b, idx in enumerate(units_of_frames):
        assert torch.allclose((moved - x)[b, :, : len(idx)], d[b][:, idx], atol=1e-5)
    assert x[1, :, 3:].abs().sum() == 0  # padding frames are zero


def test_forward_losses_and_masks():
    model = tiny()
    out = model(*batch(), speaker=torch.rand(2, 8))
    assert set(out.losses) == {"token_ce", "duration"} and set(out.stats) == {"token_acc"}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in out.losses.values())
    assert torch.allclose(out.loss, out.losses["token_ce"] + out.losses["duration"])
    assert 0.0 <= float(out.stats["token_acc"]) <= 1.0
    out.loss.backward()
    assert model.head.weight.grad is not None and model.duration.out.weight.grad is not None
    # padding does not matter: the second utterance alone gives the same frame logits
    model.eval()
    units, unit_lens, langs, durations, _, _ = batch()
    h, _ = model.encode(units, unit_lens, langs, None)
    logits, _ = model.decode(h, durations * (torch.arange(3)[None] < unit_lens[:, None]))
    h1, _ = model.encode(units[1:, :2], unit_lens[1:], langs[1:, :2], None)
    logits1, _ = model.decode(h1, durations[1:, :2])
    assert torch.allclose(logits[1, :, :3], logits1[0], atol=1e-5)


def test_duration_predictor_sees_detached_encoder():
    model = tiny()
    units, unit_lens, langs, durations, tokens, token_lens = batch()
    out = model(units, unit_lens, langs, durations, tokens, token_lens, torch.rand(2, 8))
    out.losses["duration"].backward()
    assert model.unit_embed.weight.grad is None or model.unit_embed.weight.grad.abs().sum() == 0
    assert model.duration.out.weight.grad.abs().sum() > 0


def test_durations_must_sum_to_token_lengths():
    units, unit_lens, langs, durations, tokens, _ = batch()
    with pytest.raises(ValueError, match="durations sum"):
        tiny()(units, unit_lens, langs, durations, tokens, torch.tensor([6, 3]), torch.rand(2, 8))


def test_generate_lengths_follow_predicted_durations_and_scale():
    model = tiny().eval()
    units, unit_lens, langs, *_ = batch()
    h, unit_mask = model.encode(units, unit_lens, langs, None)
    log_d = model.predict_log_durations(h, unit_mask)
    for scale in (1.0, 2.5):
        out = model.generate(units, unit_lens, langs, duration_scale=scale)
        want = torch.round(torch.exp(log_d) * scale).clamp(1, 50).long() * unit_mask[:, 0].long()
        assert torch.equal(out.durations, want)
        assert out.token_lens.tolist() == want.sum(1).tolist()
        assert out.tokens.shape == (2, int(want.sum(1).max()))
        for b in range(2):
            n = int(out.token_lens[b])
            assert (out.tokens[b, :n] >= 0).all() and (out.tokens[b, n:] == -1).all()
    short = model.generate(units, unit_lens, langs, duration_scale=1.0).token_lens
    long = model.generate(units, unit_lens, langs, duration_scale=3.0).token_lens
    assert (long > short).all()
    # given durations are used as they are; sampling stays inside the top k codes
    given = torch.tensor([[1, 2, 3], [4, 1, 9]])
    out = model.generate(
        units, unit_lens, langs, durations=given, temperature=1.0, top_k=1, generator=torch.Generator().manual_seed(0)
    )
    assert out.token_lens.tolist() == [6, 5]
    greedy = model.generate(units, unit_lens, langs, durations=given)
    assert torch.equal(out.tokens, greedy.tokens)  # top-1 sampling is the arg-max
    with pytest.raises(ValueError, match="duration_scale"):
        model.generate(units, unit_lens, langs, duration_scale=0.0)


def test_speaker_optional():
    model = tiny(speaker_dim=0)
    assert model.speaker_proj is None
    assert torch.isfinite(model(*batch()).loss)
    with pytest.raises(ValueError, match="speaker"):
        tiny()(*batch(), speaker=torch.rand(2, 5))


def test_config_builds_and_checks():
    from cstoolkit.config import load_config

    cfg = load_config([]).t2s
    with pytest.raises(ConfigError, match="null"):
        build_t2s_model(cfg)
    filled = fill_from_data(cfg, unit_vocab_size=549, lang_vocab_size=14, codebook_size=512)
    model = build_t2s_model(filled)
    counts = model.parameter_counts()
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    assert 0.5e6 < counts["total"] < 3e6
    with pytest.raises(ConfigError, match="d_model"):
        tiny(d_model=15)


def test_seeded_tiny_runs_train_to_the_recorded_weights(tts_exp) -> None:
    from seeded_weights import check_weights

    check_weights("t2s_nar", tts_exp / "tts" / "model.pth")
    check_weights("flow_of_t2s", tts_exp / "flow" / "model.pth")
