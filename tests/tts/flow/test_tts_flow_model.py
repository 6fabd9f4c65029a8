"""The token -> mel flow model: named losses for a batch, the training prompt, generate() after a prompt, configs."""

from __future__ import annotations

import pytest
import torch

from cstoolkit.errors import ConfigError
from cstoolkit.tts.flow.model import FlowModel, build_flow_model, fill_from_data

C, SPK = 80, 256


def batch(seed: int = 0) -> dict[str, torch.Tensor]:
    """A training batch as the future data loader gives it (mel channels first)."""
    g = torch.Generator().manual_seed(seed)
    token_lens, mel_lens = torch.tensor([12, 7, 9]), torch.tensor([60, 35, 47])
    return {
        "speech_tokens": torch.randint(0, 50, (3, 12), generator=g),
        "speech_token_lens": token_lens,
        "mel": torch.randn(3, C, 60, generator=g) * 3 - 5,
        "mel_lens": mel_lens,
        "speaker": torch.rand(3, SPK, generator=g),
    }


def model(cfg, **overrides) -> FlowModel:
    torch.manual_seed(0)
    cfg.model.merge_with(overrides)
    return build_flow_model(cfg)


def test_forward_returns_finite_named_losses_and_trains_every_part(tiny_cfg):
    m = model(tiny_cfg).train()
    out = m(**batch())
    assert set(out.losses) == {"flow"} and set(out.stats) == {"prompt_frames"}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in out.losses.values())
    out.loss.backward()
    for name in ("encoder", "estimator", "speaker_proj"):
        grads = [p.grad for p in getattr(m, name).parameters() if p.requires_grad]
        assert all(g is not None and torch.isfinite(g).all() for g in grads), name
        assert any(float(g.abs().sum()) > 0 for g in grads), name


def test_training_prompt_is_a_prefix_of_at_most_the_configured_share(tiny_cfg):
    m = model(tiny_cfg, prompt_prob=1.0, prompt_max_frac=0.3, drop_prob=0.0)
    seen = []
    real = m.estimator.forward

    def spy(x, mask, mu, t, spks, cond):
        seen.append((cond.detach(), mask))
        return real(x, mask, mu, t, spks, cond)

    m.estimator.forward = spy
    data = batch()
    x1 = (data["mel"] - m.mel_mean) / m.mel_std
    torch.manual_seed(3)
    shares = [float(m(**data).stats["prompt_frames"]) for _ in range(8)]
    assert max(shares) <= 0.3 + 1e-6 and max(shares) > 0
    for cond, _mask in seen:
        for b, n in enumerate(data["mel_lens"].tolist()):
            used = (cond[b].abs().sum(0) > 0).nonzero().flatten()
            k = len(used)
            assert k <= int(0.3 * n) and (k == 0 or int(used.max()) == k - 1)  # a prefix
            torch.testing.assert_close(cond[b, :, :k], x1[b, :, :k])
    m.prompt_prob = 0.0
    assert float(m(**data).stats["prompt_frames"]) == 0.0


def test_padding_of_a_batch_changes_no_loss(tiny_cfg):
    m = model(tiny_cfg, drop_prob=0.0, prompt_prob=0.0).eval()
    data = batch()
    wider = dict(data)
    wider["mel"] = torch.cat([data["mel"], torch.full((3, C, 9), 4.0)], dim=-1)
    wider["speech_tokens"] = torch.cat([data["speech_tokens"], torch.full((3, 4), 49)], dim=-1)
    torch.manual_seed(1)
    a = m(**data).loss
    torch.manual_seed(1)
    b = m(**wider).loss
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("guidance", [1.0, 1.7])
def test_generate_returns_the_requested_frames_after_the_prompt(tiny_cfg, guidance):
    m = model(tiny_cfg).eval()
    g = torch.Generator().manual_seed(0)
    tokens, token_lens = torch.randint(0, 50, (2, 10), generator=g), torch.tensor([10, 6])
    prompt_tokens, prompt_mel = torch.randint(0, 50, (2, 4), generator=g), torch.randn(2, C, 20, generator=g) - 5
    speaker = torch.rand(2, SPK, generator=g)
    out = m.generate(
        tokens,
        token_lens,
        prompt_tokens,
        prompt_mel,
        speaker,
        steps=3,
        guidance=guidance,
        schedule="cosine",
        frames=torch.tensor([31, 17]),
        prompt_token_lens=torch.tensor([4, 2]),
        prompt_mel_lens=torch.tensor([20, 11]),
    )
    assert out.shape == (2, C, 31) and torch.isfinite(out).all()
    assert float(out[1, :, 17:].abs().max()) == 0.0 and float(out[1, :, :17].abs().min()) > 0
    default = m.generate(tokens, token_lens, speaker=speaker, steps=2)  # no prompt: frames from the token rate
    assert default.shape == (2, C, int(m.frames_for(token_lens).max()))
    assert m.frames_for(torch.tensor([25])).item() == round(25 * m.mel_rate / m.token_rate)


def test_generate_in_a_batch_equals_one_by_one(tiny_cfg):
    m = model(tiny_cfg).eval()
    g = torch.Generator().manual_seed(0)
    tokens, token_lens = torch.randint(0, 50, (2, 10), generator=g), torch.tensor([10, 6])
    prompt_tokens, prompt_mel = torch.randint(0, 50, (2, 5), generator=g), torch.randn(2, C, 24, generator=g) - 5
    p_lens, m_lens, frames = torch.tensor([5, 3]), torch.tensor([24, 14]), torch.tensor([30, 19])
    speaker = torch.rand(2, SPK, generator=g)
    settings = {"steps": 3, "guidance": 1.7, "schedule": "cosine", "temperature": 0.0}  # no noise: comparable
    both = m.generate(
        tokens,
        token_lens,
        prompt_tokens,
        prompt_mel,
        speaker,
        frames=frames,
        prompt_token_lens=p_lens,
        prompt_mel_lens=m_lens,
        **settings,
    )
    for b in range(2):
        n, p, k, f = int(token_lens[b]), int(p_lens[b]), int(m_lens[b]), int(frames[b])
        alone = m.generate(
            tokens[b : b + 1, :n],
            token_lens[b : b + 1],
            prompt_tokens[b : b + 1, :p],
            prompt_mel[b : b + 1, :, :k],
            speaker[b : b + 1],
            frames=f,
            **settings,
        )
        torch.testing.assert_close(both[b : b + 1, :, :f], alone, atol=1e-4, rtol=1e-4)


def test_generate_uses_the_prompt(tiny_cfg):
    m = model(tiny_cfg).eval()
    tokens, token_lens = torch.randint(0, 50, (1, 8)), torch.tensor([8])
    prompt_tokens = torch.randint(0, 50, (1, 3))
    settings = {"steps": 2, "frames": 12, "temperature": 0.0}
    a = m.generate(tokens, token_lens, prompt_tokens, torch.full((1, C, 15), -5.0), **settings)
    b = m.generate(tokens, token_lens, prompt_tokens, torch.full((1, C, 15), -2.0), **settings)
    assert float((a - b).abs().max()) > 1e-4


def test_bad_inputs(tiny_cfg):
    m = model(tiny_cfg).eval()
    data = batch()
    with pytest.raises(ValueError, match="mel: expected"):
        m(
            data["speech_tokens"],
            data["speech_token_lens"],
            data["mel"].transpose(1, 2),
            data["mel_lens"],
            data["speaker"],
        )
    with pytest.raises(ValueError, match="speaker"):
        m(data["speech_tokens"], data["speech_token_lens"], data["mel"], data["mel_lens"], data["speaker"][:, :10])
    with pytest.raises(ValueError, match="both or neither"):
        m.generate(data["speech_tokens"], data["speech_token_lens"], prompt_tokens=data["speech_tokens"])
    with pytest.raises(ValueError, match="token_lens"):
        m.generate(data["speech_tokens"], torch.tensor([5, 0, 3]))
    with pytest.raises(ValueError, match="mel_lens"):
        m(data["speech_tokens"], data["speech_token_lens"], data["mel"], torch.tensor([60, 0, 47]), data["speaker"])
    with pytest.raises(ConfigError, match="schedule"):
        m.generate(data["speech_tokens"], data["speech_token_lens"], schedule="quadratic")


def test_shipped_configs_build_and_the_cpu_demo_is_small():
    from cstoolkit.config import load_config

    data = {"vocab_size": 1024, "token_rate": 25.0, "mel_mean": -5.0, "mel_std": 2.0}
    cpu_cfg = load_config([]).flow
    with pytest.raises(ConfigError, match=r"flow.model.encoder.vocab_size is null"):
        build_flow_model(cpu_cfg)  # the data's values are not in the shipped config
    cpu = build_flow_model(fill_from_data(cpu_cfg, **data))
    counts = cpu.parameter_counts()
    assert 1e6 <= counts["estimator"] <= 5e6, counts
    assert cpu.n_mels == 80 and cpu.speaker_dim == 256 and cpu.encoder.embed.num_embeddings == 1024
    gpu_cfg = load_config(["flow=flow_gpu"]).flow
    assert gpu_cfg.model.token_rate == 25.0  # set in flow_gpu.yaml: not overwritten by the data's value
    gpu = build_flow_model(fill_from_data(gpu_cfg, **{**data, "token_rate": 12.5}))
    assert gpu.token_rate == 25.0
    assert gpu.parameter_counts()["estimator"] > 5 * counts["estimator"]


def test_bad_config_is_one_config_error(tiny_cfg):
    tiny_cfg.model.estimator.transformer_layers = [1, 2, 3]
    with pytest.raises(ConfigError, match=r"transformer_layers=.*Estimator"):
        build_flow_model(tiny_cfg)


def test_a_checkpoint_restores_the_model_and_its_mel_standardisation(tiny_cfg, tmp_path):
    m = model(tiny_cfg.copy(), mel_mean=-4.0, mel_std=2.5).eval()
    torch.save(m.state_dict(), tmp_path / "flow.pt")
    fresh = model(tiny_cfg).eval()  # other initial weights (same seed, other mel_mean) until loaded
    fresh.load_state_dict(torch.load(tmp_path / "flow.pt"))
    assert float(fresh.mel_mean) == -4.0 and float(fresh.mel_std) == 2.5
    tokens, token_lens = torch.randint(0, 50, (1, 6)), torch.tensor([6])
    a = m.generate(tokens, token_lens, steps=2, temperature=0.0)
    torch.testing.assert_close(fresh.generate(tokens, token_lens, steps=2, temperature=0.0), a)
