"""The supervised speech tokenizer: the CS-ASR with a quantizer on the output of encoder block k (CosyVoice).

The quantizer (``VectorQuantize`` with an EMA codebook, or ``FSQ``, from vector-quantize-pytorch, built from
``tokenizer.quantizer._target_``) is attached to ESPnet's ``ESPnetASRModel`` as ``model.quantizer`` and applied by
a forward hook on ``encoder.encoders[k - 1]``: the ASR model's own forward, loss and decoding run unchanged through
it, its state dict keeps every ASR name (a trained CS-ASR loads into it as it is) plus ``quantizer.*``. The encoder
up to the quantizer is the tokenizer (:func:`encode_tokens`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.asr.model import SUBSAMPLING_SLICES, build_asr_model, instantiate_node
from cstoolkit.errors import ConfigError

#: keys of the tokenizer group that replace the ASR's (how it trains); the ASR architecture keeps the others
TOKENIZER_KEYS = (
    "name",
    "module",
    "optim",
    "scheduler",
    "batch",
    "train",
    "init_from_asr",
    "quantize_after",
    "quantizer",
    "vq",
    "fsq",
    "extract",
    "mask_conv_padding",
)
PAD_TOKEN = -1


def module_config(asr_cfg: DictConfig, tokenizer_cfg: DictConfig) -> DictConfig:
    """The tokenizer module's config: the ASR architecture (``asr`` minus how it trains) + the tokenizer group."""
    arch = OmegaConf.to_container(asr_cfg, resolve=True)
    own = OmegaConf.to_container(tokenizer_cfg, resolve=True)
    merged = {k: v for k, v in arch.items() if k not in TOKENIZER_KEYS}
    merged.update(own)
    return OmegaConf.create(merged)


def build_quantizer(model_cfg: DictConfig, dim: int, distributed: bool = False) -> torch.nn.Module:
    """``VectorQuantize`` (``quantizer: vq``) or ``FSQ`` (``quantizer: fsq``) on ``dim``-wide encoder states, from
    the ``vq`` or ``fsq`` node. ``distributed`` (training under DDP) syncs the EMA codebook and its k-means
    initialisation across ranks."""
    kind = quantizer_kind(model_cfg)
    kwargs: dict = {"dim": dim}
    if kind == "vq":
        kwargs["sync_codebook"] = distributed
    return instantiate_node(model_cfg[kind], **kwargs)


#: the class each ``tokenizer.quantizer`` choice must build
QUANTIZER_CLASSES = {"vq": "VectorQuantize", "fsq": "FSQ"}


def quantizer_kind(model_cfg: DictConfig) -> str:
    """``vq`` or ``fsq`` (``tokenizer.quantizer``), checked against the ``_target_`` of its node."""
    kind = model_cfg.get("quantizer")
    if kind not in QUANTIZER_CLASSES:
        raise ConfigError(f"bad configuration value tokenizer.quantizer={kind!r}: expected vq or fsq")
    target = str(OmegaConf.select(model_cfg, f"{kind}._target_") or "")
    if target.rsplit(".", 1)[-1] != QUANTIZER_CLASSES[kind]:
        raise ConfigError(
            f"bad configuration value tokenizer.{kind}._target_={target!r}: expected "
            f"vector_quantize_pytorch.{QUANTIZER_CLASSES[kind]}"
        )
    return kind


@dataclass
class QuantizerTap:
    """The forward hook that quantizes the output of encoder block k and keeps what it saw.

    After each forward: ``loss`` (the commitment loss, 0 in eval mode or for FSQ), ``indices`` (B, T') token ids
    with -1 on padding, ``states`` (B, T', D) the continuous states before quantization, ``valid`` (B, T').
    """

    quantizer: torch.nn.Module
    kind: str
    blocks: int  # the encoder blocks before the quantizer (k)
    loss: torch.Tensor | None = None
    indices: torch.Tensor | None = None
    states: torch.Tensor | None = None
    valid: torch.Tensor | None = None

    def __call__(self, module, args, output):
        xs, masks = output
        x, pos = xs if isinstance(xs, tuple) else (xs, None)
        valid = masks[:, 0, :]  # (B, T') True on real frames
        quantized, indices, loss = quantize(self.quantizer, self.kind, x, valid)
        self.loss, self.indices, self.states, self.valid = loss, indices, x, valid
        return ((quantized, pos) if pos is not None else quantized), masks


def quantize(quantizer, kind: str, x: torch.Tensor, valid: torch.Tensor):
    """``(quantized (B, T, D), indices (B, T) with -1 on padding, commitment loss)`` of ``x`` (B, T, D).

    Only the real frames go through the quantizer, as one sequence (1, N, D): the EMA codebook, its k-means
    initialisation, dead-code replacement and the commitment loss never see padding, and a frame's code does not
    depend on the other utterances of the batch.
    """
    frames = x[valid][None]  # (1, N, D)
    if kind == "vq":
        codes, ids, loss = quantizer(frames)
    else:
        (codes, ids), loss = quantizer(frames), x.new_zeros(())
    quantized = x.new_zeros(x.shape).masked_scatter(valid[..., None], codes[0].to(x.dtype))
    indices = torch.full(valid.shape, PAD_TOKEN, dtype=torch.long, device=x.device)
    indices[valid] = ids[0].long()
    return quantized, indices, loss.reshape(())


def attach_quantizer(model, model_cfg: DictConfig, distributed: bool = False) -> QuantizerTap:
    """Add ``model.quantizer`` after encoder block ``model_cfg.quantize_after`` (1-based) of an ESPnetASRModel."""
    blocks = model.encoder.encoders
    k = model_cfg.quantize_after
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(blocks):
        raise ConfigError(
            f"bad configuration value tokenizer.quantize_after={k!r}: expected a whole number from 1 "
            f"to the encoder's {len(blocks)} blocks"
        )
    model.quantizer = build_quantizer(model_cfg, model.encoder.output_size(), distributed)
    tap = QuantizerTap(model.quantizer, quantizer_kind(model_cfg), k)
    blocks[k - 1].register_forward_hook(tap)
    return tap


def build_tokenizer_model(model_cfg: DictConfig, token_list: list[str], stats_file=None, distributed: bool = False):
    """``(ESPnetASRModel with model.quantizer, its QuantizerTap)`` from the merged module config."""
    model = build_asr_model(model_cfg, token_list, stats_file)
    return model, attach_quantizer(model, model_cfg, distributed)


def codebook_size(model) -> int:
    """Number of codes of the attached quantizer."""
    return int(model.quantizer.codebook_size)


def subsampling_factor(model) -> int:
    """Input frames per encoder frame of ESPnet's input layer (``conv2d6``: 6; ``linear``: 1)."""
    name = type(model.encoder.embed).__name__
    if name == "Sequential" and isinstance(model.encoder.embed[0], torch.nn.Linear):
        return 1  # ESPnet's input_layer=linear: Linear, LayerNorm, Dropout, ReLU, positional encoding
    if name not in SUBSAMPLING_SLICES:
        raise ConfigError(f"the tokenizer needs a conv2d subsampling or linear input layer, not {name}")
    factor = 1
    for _, step in SUBSAMPLING_SLICES[name]:
        factor *= step
    return factor


def encode_tokens(model, tap: QuantizerTap, speech: torch.Tensor, lengths: torch.Tensor):
    """Tokens of a padded batch: the encoder up to the quantizer only (eval mode).

    Args:
        speech: (B, T, D) features (not modified); lengths: (B,) valid frames.

    Returns:
        ``indices`` (B, T') with -1 on padding, ``token_lengths`` (B,), ``states`` (B, T', D) before quantization.
    """
    from espnet.nets.pytorch_backend.nets_utils import make_pad_mask

    speech = speech.clone()  # GlobalMVN normalises in place without grad
    if model.normalize is not None:
        speech, lengths = model.normalize(speech, lengths)
    masks = ~make_pad_mask(lengths, maxlen=speech.shape[1])[:, None, :].to(speech.device)
    if isinstance(model.encoder.embed, torch.nn.Sequential):  # input_layer=linear: frame by frame, no masks
        xs = model.encoder.embed(speech)
    else:
        xs, masks = model.encoder.embed(speech, masks)  # exact per-utterance lengths at inference (asr.model)
    for block in model.encoder.encoders[: tap.blocks]:
        xs, masks = block(xs, masks)
    return tap.indices, masks[:, 0, :].sum(-1), tap.states
