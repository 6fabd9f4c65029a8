"""The autoregressive text -> speech-token LM: sequence layout, causality, sampling rules, length bounds, learning,
and training + synthesis through the shared trainer on the toy corpus (``t2s=ar_cpu``)."""

from __future__ import annotations

import shutil

import pytest
import torch

from cstoolkit.errors import ConfigError
from cstoolkit.tts.t2s.ar import ArT2S

SIZES = {
    "unit_vocab_size": 20,
    "lang_vocab_size": 4,
    "codebook_size": 16,
    "speaker_dim": 8,
    "d_model": 16,
    "heads": 2,
    "ff_mult": 2,
    "encoder_layers": 1,
    "lm_layers": 2,
    "dropout": 0.0,
}


def tiny(**kw) -> ArT2S:
    torch.manual_seed(0)
    return ArT2S(**{**SIZES, **kw})


def batch():
    """Two utterances: 3 units / 5 tokens and 2 units / 2 tokens (padding filled with junk on purpose)."""
    units = torch.tensor([[3, 4, 5], [6, 7, 99]])
    langs = torch.tensor([[1, 1, 2], [2, 2, 77]])
    tokens = torch.tensor([[1, 2, 3, 4, 5], [8, 9, 999, 999, 999]])
    return units, torch.tensor([3, 2]), langs, None, tokens, torch.tensor([5, 2])


def test_sequence_layout_targets_and_padding():
    model = tiny()
    units, unit_lens, langs, _, tokens, token_lens = batch()
    h, _ = model.encode(units, unit_lens, langs, None)
    x, pad, target = model.sequences(h, unit_lens, tokens, token_lens)
    assert x.shape == (2, 9, 16) and pad.shape == target.shape == (2, 9)  # 3 + 1 + 5 positions
    assert pad.sum(1).tolist() == [0, 4]  # 2 + 1 + 2 = 5 real positions in the second row
    eos = model.eos
    assert target[0].tolist() == [-100, -100, -100, 1, 2, 3, 4, 5, eos]
    assert target[1].tolist() == [-100, -100, 8, 9, eos, -100, -100, -100, -100]
    assert torch.equal(x[0, 3], model.task.detach()) and torch.equal(x[1, 2], model.task.detach())
    assert torch.allclose(x[1, 3], model.token_embed.weight[8]) and x[1, 5:].abs().sum() == 0


def test_forward_losses_and_gradients():
    model = tiny()
    out = model(*batch(), speaker=torch.rand(2, 8))
    assert set(out.losses) == {"token_ce"} and set(out.stats) == {"token_acc"}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in out.losses.values())
    out.loss.backward()
    for name in ("unit_embed.weight", "speaker_proj.weight", "token_embed.weight", "task", "head.weight"):
        assert model.get_parameter(name).grad.abs().sum() > 0, name


def test_lm_is_causal():
    """A later input changes no earlier output."""
    model = tiny().eval()
    x = torch.randn(1, 7, 16)
    later = x.clone()
    later[0, 5:] += torch.randn(2, 16)
    a, b = model.run_lm(x), model.run_lm(later)
    assert torch.allclose(a[0, :5], b[0, :5], atol=1e-5)
    assert not torch.allclose(a[0, 5:], b[0, 5:], atol=1e-3)


def test_nucleus_and_repetition_aware_sampling():
    model = tiny(top_p=0.5)
    logits = torch.full((17,), 0.0)
    logits[3] = 4.0  # p(3) ~ 0.78: alone in the 0.5 nucleus
    gen = torch.Generator().manual_seed(0)
    fresh = [model.sample(logits, [1, 2], 1.0, None, gen) for _ in range(200)]
    assert set(fresh) == {3}
    repeated = [model.sample(logits, [3] * 10, 1.0, None, gen) for _ in range(200)]
    others = sum(t != 3 for t in repeated)  # redrawn from the whole distribution: ~22% other tokens
    assert 15 < others < 80
    assert model.sample(logits, [3] * 10, 0.0, None, gen) == 3  # temperature 0: arg-max, no resampling


@pytest.mark.parametrize("eos_bias, expected", [(100.0, "min"), (-100.0, "max")])
def test_generation_respects_length_bounds(eos_bias, expected):
    model = tiny(min_len_ratio=2.0, max_len_ratio=5.0).eval()
    with torch.no_grad():
        model.head.bias[model.eos] = eos_bias
    units, unit_lens, langs, *_ = batch()
    out = model.generate(units, unit_lens, langs, temperature=1.0)
    want = [2 * 3, 2 * 2] if expected == "min" else [5 * 3, 5 * 2]
    assert out.token_lens.tolist() == want
    assert out.tokens.shape == (2, max(want)) and (out.tokens[1, want[1] :] == -1).all()
    assert ((out.tokens[0] >= 0) & (out.tokens[0] < 16)).all() and out.durations.abs().sum() == 0
    slower = model.generate(units, unit_lens, langs, duration_scale=2.0)
    assert slower.token_lens.tolist() == [2 * w for w in want]
    with pytest.raises(ValueError, match="no durations"):
        model.generate(units, unit_lens, langs, durations=torch.ones(2, 3))


def test_learns_and_reproduces_sequences():
    """Trained on two sentences, greedy generation speaks each one's tokens and stops."""
    model = tiny(lm_layers=2, d_model=32, speaker_dim=0)
    units, unit_lens, langs, _, tokens, token_lens = batch()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(300):
        loss = model(units, unit_lens, langs, None, tokens, token_lens).loss
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.05 * first
    out = model.eval().generate(units, unit_lens, langs, temperature=0.0)
    assert out.tokens[0, :5].tolist() == [1, 2, 3, 4, 5] and out.token_lens.tolist() == [5, 2]
    assert out.tokens[1, :2].tolist() == [8, 9]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["t2s.model.top_p=0.0"], "top_p"),
        (["t2s.model.min_len_ratio=5.0", "t2s.model.max_len_ratio=2.0"], "min_len_ratio"),
        (["t2s.model.lm_layers=0"], "lm_layers"),
        (["t2s.model.ras_window=0"], "ras_window"),
    ],
)
def test_bad_values_are_config_errors(overrides, message):
    from cstoolkit.config import load_config
    from cstoolkit.tts.t2s.checks import check_t2s_config

    with pytest.raises(ConfigError, match=message):
        check_t2s_config(load_config(["t2s=ar_cpu", *overrides]), training=False)


def test_a_model_width_that_heads_cannot_share_is_a_config_error():
    with pytest.raises(ConfigError, match="d_model"):
        tiny(d_model=15)


def test_train_reload_and_synthesize_through_the_shared_trainer(aligned, ar_cfg, tmp_path):
    from cstoolkit.tts.t2s.infer import TextToSpeechTokens
    from cstoolkit.tts.t2s.train import train_t2s

    cfg = ar_cfg
    dirs = {}
    for split in ("train", "dev"):
        dirs[split] = tmp_path / split
        shutil.copytree(aligned / split, dirs[split], ignore=shutil.ignore_patterns("wav", "*.ark"))
    result = train_t2s(dirs["train"], dirs["dev"], aligned / "tokenizer", tmp_path / "exp", cfg)
    assert result.epochs == 2 and (tmp_path / "exp" / "model.pth").is_file()
    from seeded_weights import check_weights

    check_weights("t2s_ar", tmp_path / "exp" / "model.pth")  # the same weights as the recorded seeded run
    t2s = TextToSpeechTokens.load(tmp_path / "exp")
    assert isinstance(t2s.model, ArT2S)
    out = t2s.synthesize(["我去 shopping mall", "mall"], langs=["zh-en", None])
    for res, n_units in zip(out, (len(out[0].frontend.units), 1)):
        assert n_units * 1.0 <= len(res.tokens) <= n_units * 12.0  # the config's length bounds
        assert all(0 <= t < 32 for t in res.tokens) and not any(res.durations)
    again = t2s.synthesize(["我去 shopping mall"], langs=["zh-en"], seed=0)
    assert again[0].tokens == out[0].tokens  # seeded sampling repeats
