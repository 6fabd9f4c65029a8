"""Model building from the asr config group: ESPnet classes, forward/backward, typed config errors."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from cstoolkit.asr.model import build_asr_model
from cstoolkit.config import load_config
from cstoolkit.errors import ConfigError, InputFileError

TOKENS = ["<blank>", "<unk>", "a", "b", "c", "\u2581x", "<sos/eos>"]


def _batch(vocab: int):
    torch.manual_seed(0)
    speech = torch.randn(2, 120, 80)
    lengths = torch.tensor([120, 90])
    text = torch.tensor([[2, 3, 4], [5, 2, -1]])
    return speech, lengths, text, torch.tensor([3, 2])


def test_tiny_model_is_espnet_conformer_and_trains(cfg) -> None:
    from espnet2.asr.decoder.transformer_decoder import TransformerDecoder
    from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
    from espnet2.asr.espnet_model import ESPnetASRModel
    from espnet2.asr.specaug.specaug import SpecAug

    model = build_asr_model(cfg.asr, TOKENS, stats_file=None)
    assert isinstance(model, ESPnetASRModel)
    assert isinstance(model.encoder, ConformerEncoder) and isinstance(model.decoder, TransformerDecoder)
    assert isinstance(model.specaug, SpecAug)
    assert model.ctc_weight == pytest.approx(cfg.asr.model.ctc_weight)
    loss, stats, _ = model(*_batch(len(TOKENS)))
    assert torch.isfinite(loss) and {"loss_ctc", "loss_att"} <= set(stats)
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())


@pytest.mark.parametrize("name", ["cpu_small", "gpu_base"])
def test_shipped_configs_build(name: str) -> None:
    cfg = load_config([f"asr={name}"])
    model = build_asr_model(cfg.asr, TOKENS, stats_file=None)
    assert model.encoder.output_size() == cfg.asr.encoder.output_size
    assert len(model.encoder.encoders) == cfg.asr.encoder.num_blocks


def test_overrides_reach_the_model() -> None:
    cfg = load_config(["asr=tiny", "asr.encoder.num_blocks=2", "asr.model.ctc_weight=0.7"])
    model = build_asr_model(cfg.asr, TOKENS, stats_file=None)
    assert len(model.encoder.encoders) == 2 and model.ctc_weight == pytest.approx(0.7)


def test_bad_target_is_a_config_error(cfg) -> None:
    bad = OmegaConf.merge(cfg.asr, {"encoder": {"_target_": "espnet2.asr.encoder.nope.Nope"}})
    with pytest.raises(ConfigError, match="cannot build"):
        build_asr_model(bad, TOKENS, stats_file=None)


def test_missing_stats_file_is_an_input_error(cfg, tmp_path) -> None:
    with pytest.raises(InputFileError, match="features stage"):
        build_asr_model(cfg.asr, TOKENS, stats_file=tmp_path / "feats_stats.npz")


def test_ctc_only_needs_ctc_weight_one(cfg) -> None:
    bad = OmegaConf.merge(cfg.asr, {"decoder": None})
    with pytest.raises(ConfigError, match="ctc_weight"):
        build_asr_model(bad, TOKENS, stats_file=None)


@pytest.mark.parametrize("input_layer", ["conv2d", "conv2d6", "conv2d8"])
def test_padding_does_not_change_an_utterance(input_layer) -> None:
    """With asr.mask_conv_padding, an utterance encodes the same alone and padded into a longer batch (eval)."""
    cfg = load_config(["asr=tiny", f"asr.encoder.input_layer={input_layer}"])
    torch.manual_seed(0)
    model = build_asr_model(cfg.asr, TOKENS, stats_file=None).eval()
    short, long = torch.randn(1, 181, 80), torch.randn(1, 397, 80)
    batch = torch.cat([torch.nn.functional.pad(short, (0, 0, 0, 397 - 181)), long])
    with torch.no_grad():
        alone, alone_len = model.encode(short.clone(), torch.tensor([181]))
        both, both_len = model.encode(batch.clone(), torch.tensor([181, 397]))
    assert int(both_len[0]) == int(alone_len[0])
    assert torch.allclose(both[0, : int(alone_len[0])], alone[0], atol=1e-5)


def test_plain_espnet_encoder_leaks_padding() -> None:
    """The reason for the hooks: ESPnet's own conformer gives a padded utterance another encoding."""
    from hydra.utils import instantiate

    cfg = load_config(["asr=tiny"])
    torch.manual_seed(0)
    plain = instantiate(cfg.asr.encoder, input_size=80).eval()  # no cstoolkit hooks
    short, long = torch.randn(1, 181, 80), torch.randn(1, 397, 80) + 3.0
    batch = torch.cat([torch.nn.functional.pad(short, (0, 0, 0, 397 - 181)), long])
    with torch.no_grad():
        alone, n, _ = plain(short, torch.tensor([181]))
        both, _, _ = plain(batch, torch.tensor([181, 397]))
    assert both.shape[1] > n[0] and not torch.allclose(both[0, : int(n[0])], alone[0], atol=1e-5)


def test_a_seeded_tiny_run_trains_to_the_recorded_weights(trained) -> None:
    from seeded_weights import check_weights

    check_weights("asr", trained / "model.pth")
