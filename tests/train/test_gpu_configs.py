"""The GPU configurations that ``run.sh --ngpu N`` trains (asr=gpu_base, tokenizer=gpu, flow=flow_gpu, t2s=nar_gpu,
t2s=ar_gpu): each composes, passes the checks made before training, builds its LightningModule on the CPU at the
size it claims, and computes a finite loss on a tiny batch under bf16 autocast (what the ``bf16-mixed`` precision of
trainer=gpu and trainer=ddp runs, here on the CPU)."""

from __future__ import annotations

import pytest
import torch

from cstoolkit.config import load_config
from cstoolkit.data.loader import Batch

#: the overrides of each GPU model and its parameter count (millions, the range its config comment claims)
GPU_MODELS = {
    "asr": (["asr=gpu_base"], (25, 40)),
    "tokenizer": (["asr=gpu_base", "tokenizer=gpu"], (25, 40)),
    "flow": (["flow=flow_gpu"], (45, 70)),
    "t2s_nar": (["t2s=nar_gpu"], (35, 50)),
    "t2s_ar": (["t2s=ar_gpu"], (240, 300)),
}
TOKENS = ["<blank>", "<unk>", *(f"u{i}" for i in range(46)), "<sos/eos>"]
CODES = 4096


@pytest.mark.parametrize("trainer", ["gpu", "ddp"])
def test_gpu_trainers_train_in_bf16_mixed_precision(trainer: str) -> None:
    cfg = load_config([f"trainer={trainer}"]).trainer
    assert cfg.accelerator == "gpu" and cfg.precision == "bf16-mixed"
    assert cfg.strategy == ("ddp" if trainer == "ddp" else "auto")


def _asr_batch() -> Batch:
    g = torch.Generator().manual_seed(0)
    text = torch.tensor([[3, 4, 5, 6, -1], [7, 8, 9, 10, 11]])
    return Batch(
        utts=["a", "b"],
        speech=torch.randn(2, 160, 80, generator=g),
        speech_lengths=torch.tensor([160, 120]),
        text=text,
        text_lengths=(text >= 0).sum(1),
    )


def _module_and_batch(name: str, cfg):
    """The LightningModule as the training stage builds it (values measured from data filled in) and a batch."""
    from cstoolkit.train.module import build_module

    g = torch.Generator().manual_seed(0)
    if name == "asr":
        from cstoolkit.asr.checks import check_train_config

        check_train_config(cfg)
        return build_module(cfg.asr, "asr", seed=0, token_list=TOKENS, stats_file=None), _asr_batch()
    if name == "tokenizer":
        from cstoolkit.tokenizer.checks import check_tokenizer_config
        from cstoolkit.tokenizer.model import module_config

        check_tokenizer_config(cfg)
        model_cfg = module_config(cfg.asr, cfg.tokenizer)
        return build_module(model_cfg, "tokenizer", seed=0, token_list=TOKENS, stats_file=None), _asr_batch()
    speaker = torch.rand(2, 1, 256, generator=g)
    if name == "flow":
        from cstoolkit.train.checks import check_model_config, check_trainer_config
        from cstoolkit.tts.flow.model import fill_from_data

        check_model_config(cfg.flow, "flow")
        check_trainer_config(cfg.trainer)
        model_cfg = fill_from_data(cfg.flow, vocab_size=CODES, token_rate=25.0, mel_mean=-5.0, mel_std=2.0)
        tokens = torch.randint(0, CODES, (2, 20), generator=g)
        frames = [round(n * float(model_cfg.model.mel_rate) / 25.0) for n in (20, 15)]
        batch = Batch(
            utts=["a", "b"],
            speech_tokens=tokens,
            speech_tokens_lengths=torch.tensor([20, 15]),
            mel=torch.randn(2, frames[0], 80, generator=g) * 2 - 5,
            mel_lengths=torch.tensor(frames),
            utt_embed=speaker,
        )
        return build_module(model_cfg, "flow", seed=0), batch
    from cstoolkit.tts.t2s.base import fill_from_data
    from cstoolkit.tts.t2s.checks import check_t2s_config

    check_t2s_config(cfg)
    model_cfg = fill_from_data(cfg.t2s, unit_vocab_size=100, lang_vocab_size=5, codebook_size=CODES)
    durations = torch.tensor([[2, 3, 1, 4, 2, 3], [1, 2, 2, 3, 0, 0]])
    lengths = durations.sum(1)
    batch = Batch(
        utts=["a", "b"],
        text_units=torch.randint(1, 100, (2, 6), generator=g),
        text_units_lengths=torch.tensor([6, 4]),
        unit_langs=torch.randint(1, 5, (2, 6), generator=g),
        unit_durations=durations,
        speech_tokens=torch.randint(0, CODES, (2, int(lengths.max())), generator=g),
        speech_tokens_lengths=lengths,
        utt_embed=speaker,
    )
    return build_module(model_cfg, "t2s", seed=0), batch


@pytest.mark.parametrize("name", sorted(GPU_MODELS))
def test_gpu_model_config_builds_and_runs_a_bf16_step_on_cpu(name: str) -> None:
    overrides, (low, high) = GPU_MODELS[name]
    cfg = load_config([*overrides, "trainer.enable_progress_bar=false"])  # checked with trainer=cpu: no GPU here
    assert load_config([*overrides, "trainer=gpu"]).trainer.precision == "bf16-mixed"
    module, batch = _module_and_batch(name, cfg)
    millions = sum(p.numel() for p in module.model.parameters()) / 1e6
    assert low <= millions <= high, f"{name}: {millions:.1f} M parameters"
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = module.compute_losses(batch)
    assert torch.isfinite(out.loss.float()), out.losses
