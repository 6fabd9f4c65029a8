"""The quantizer inside the encoder: where it sits, what it changes, what it keeps of the ASR model."""

from __future__ import annotations

import pytest
import torch

from cstoolkit.errors import ConfigError
from cstoolkit.tokenizer.model import (
    PAD_TOKEN,
    attach_quantizer,
    build_tokenizer_model,
    module_config,
    quantize,
)


def _model_cfg(tcfg, **changes):
    from omegaconf import OmegaConf

    cfg = module_config(tcfg.asr, tcfg.tokenizer)
    for key, value in changes.items():
        OmegaConf.update(cfg, key, value, force_add=True)
    return cfg


def test_state_dict_is_the_asr_one_plus_the_quantizer(tcfg, toy) -> None:
    from cstoolkit.asr.model import build_asr_model
    from cstoolkit.text.tokens import TextTokenizer

    tokens = TextTokenizer(toy / "units").token_list
    asr = build_asr_model(tcfg.asr, tokens, None)
    model, tap = build_tokenizer_model(_model_cfg(tcfg), tokens)
    extra = set(model.state_dict()) - set(asr.state_dict())
    assert set(asr.state_dict()) <= set(model.state_dict())
    assert extra and all(k.startswith("quantizer.") for k in extra)
    assert tap.blocks == 1 and model.quantizer.codebook_size == 32


def test_quantize_leaves_padding_out() -> None:
    from vector_quantize_pytorch import FSQ, VectorQuantize

    torch.manual_seed(0)
    x = torch.randn(2, 7, 16)
    valid = torch.arange(7)[None, :] < torch.tensor([7, 4])[:, None]
    for kind, q in (("vq", VectorQuantize(dim=16, codebook_size=8)), ("fsq", FSQ(levels=[5, 5], dim=16))):
        q.eval()
        quantized, ids, loss = quantize(q, kind, x, valid)
        assert quantized.shape == x.shape and ids.shape == (2, 7) and loss.dim() == 0
        assert (ids[1, 4:] == PAD_TOKEN).all() and (ids[valid] >= 0).all()
        assert torch.equal(quantized[1, 4:], torch.zeros(3, 16))
        _, alone_ids, _ = quantize(q, kind, x[1:, :4], valid[1:, :4])
        assert torch.equal(alone_ids[0], ids[1, :4])


@pytest.mark.parametrize("k", [0, 3, "two"])
def test_quantizer_position_is_checked(tcfg, toy, k) -> None:
    from cstoolkit.asr.model import build_asr_model

    model = build_asr_model(tcfg.asr, ["<blank>", "a", "<sos/eos>"], None)
    with pytest.raises(ConfigError, match="quantize_after"):
        attach_quantizer(model, _model_cfg(tcfg, quantize_after=k))


def test_unknown_quantizer_is_one_config_error(tcfg) -> None:
    from cstoolkit.asr.model import build_asr_model

    model = build_asr_model(tcfg.asr, ["<blank>", "a", "<sos/eos>"], None)
    with pytest.raises(ConfigError, match=r"tokenizer\.vq\._target_"):
        attach_quantizer(model, _model_cfg(tcfg, **{"vq._target_": "torch.nn.Linear"}))
    with pytest.raises(ConfigError, match="expected vq or fsq"):
        attach_quantizer(model, _model_cfg(tcfg, quantizer="rvq"))


def test_fsq_trains_with_named_losses(tcfg, toy) -> None:
    """FSQ (CosyVoice v2): no commitment loss, the ASR loss flows through the quantizer to the first block."""
    from cstoolkit.asr.data import asr_train_set, collate_asr
    from cstoolkit.text.tokens import TextTokenizer
    from cstoolkit.tokenizer.lightning import TokenizerLightningModule

    tok = TextTokenizer(toy / "units")
    cfg = _model_cfg(tcfg, quantizer="fsq")
    module = TokenizerLightningModule(cfg, tok.token_list, toy / "train" / "feats_stats.npz")
    assert module.model.quantizer.codebook_size == 75
    data, _ = asr_train_set(toy / "train", tok.encode, 3000, 300, 80)
    out = module.compute_losses(collate_asr([data[i] for i in range(4)]))
    assert set(out.losses) == {"asr", "commit"} and float(out.losses["commit"]) == 0.0
    assert 0 < out.stats["codes_used"] <= 1 and out.stats["code_perplexity"] >= 1
    out.loss.backward()
    first = module.model.encoder.encoders[0].feed_forward.w_1.weight.grad
    assert first is not None and first.abs().sum() > 0


@pytest.mark.parametrize("input_layer", ["conv2d", "linear"])
def test_tokens_of_the_encoder_prefix_equal_those_of_a_full_encoder_pass(tcfg, toy, input_layer) -> None:
    """encode_tokens runs the encoder up to the quantizer only; for a convolutional input layer (which takes masks)
    and for ESPnet's linear one (frame by frame, as on Whisper encoder states) it gives the full pass's tokens."""
    from cstoolkit.text.tokens import TextTokenizer
    from cstoolkit.tokenizer.model import encode_tokens

    tokens = TextTokenizer(toy / "units").token_list
    torch.manual_seed(0)
    model, tap = build_tokenizer_model(_model_cfg(tcfg, **{"encoder.input_layer": input_layer}), tokens)
    model.eval()
    speech, lengths = torch.randn(2, 60, 80), torch.tensor([60, 41])
    with torch.no_grad():
        prefix, prefix_lengths, _ = encode_tokens(model, tap, speech, lengths)
        prefix = prefix.clone()
        normed, normed_lengths = model.normalize(speech.clone(), lengths) if model.normalize else (speech, lengths)
        model.encoder(normed, normed_lengths)
    full = tap.indices
    assert prefix.shape == full.shape and torch.equal(prefix, full)
    assert prefix_lengths.tolist() == [int((row >= 0).sum()) for row in prefix]
