"""Build ESPnet's hybrid CTC/attention ASR model (``ESPnetASRModel``) from the ``asr`` config group.

The config names espnet2 classes with Hydra ``_target_`` keys (conformer encoder, transformer decoder, SpecAugment,
GlobalMVN) and keeps ESPnet's own argument names, so an egs2 ``train_asr_*.yaml`` translates line by line.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.errors import ConfigError, InputFileError

with contextlib.redirect_stdout(sys.stderr):  # ESPnet print()s "Failed to import Flash Attention" when imported
    import espnet.nets.pytorch_backend.transformer.attention  # noqa: F401


def instantiate_node(node: DictConfig | None, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate`` with a one-line ConfigError for bad class names or arguments."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    if node is None:
        return None
    try:
        return instantiate(node, **kwargs)
    except (InstantiationException, TypeError) as err:
        raise ConfigError(f"cannot build {node.get('_target_', '?')}: {_reason(err)}") from None


def _reason(err: BaseException) -> str:
    """One line: the innermost cause of a Hydra instantiation error (its own message ends in a colon)."""
    while err.__cause__ is not None:
        err = err.__cause__
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {' '.join(lines)}" if lines else type(err).__name__


def check_stats_file(path: str | Path, dim: int) -> None:
    """InputFileError unless ``path`` is GlobalMVN statistics (``.npz`` with count, sum, sum_square) for ``dim``."""
    import numpy as np

    if not Path(path).is_file():
        raise InputFileError(path, "feature statistics not found: run the features stage first")
    try:
        with np.load(path, allow_pickle=False) as stats:
            sizes = {k: np.asarray(stats[k]).size for k in ("count", "sum", "sum_square")}
    except Exception as err:
        why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputFileError(path, f"not feature statistics (.npz with count, sum, sum_square): {why}") from None
    if sizes["sum"] != dim or sizes["sum_square"] != dim:
        raise InputFileError(path, f"statistics of {sizes['sum']}-dim features, but asr.input_size is {dim}")


def build_asr_model(asr_cfg: DictConfig, token_list: list[str], stats_file: str | Path | None):
    """Build an ``espnet2.asr.espnet_model.ESPnetASRModel``.

    Args:
        asr_cfg: the ``asr`` config group (specaug, normalize, optional preencoder, encoder, decoder, ctc, model).
        token_list: ESPnet token list, ``<blank>`` first and ``<sos/eos>`` last.
        stats_file: GlobalMVN statistics (``feats_stats.npz``: count/sum/sum_square); None when the config has
            no ``normalize`` entry or the statistics live in a loaded state dict (they are model buffers).

    Returns:
        The model. ``model(speech (B, T, 80), speech_lengths (B,), text (B, L) padded with -1, text_lengths (B,))``
        returns ``(loss, stats, weight)``; ``model.encode`` gives ``(B, T', D)`` encoder states for decoding.
    """
    from espnet2.asr.ctc import CTC
    from espnet2.asr.espnet_model import ESPnetASRModel

    vocab_size = len(token_list)
    specaug = instantiate_node(asr_cfg.get("specaug"))
    normalize = None
    if asr_cfg.get("normalize") is not None:
        if stats_file is None:
            stats_file = _placeholder_stats(int(asr_cfg.input_size))
        check_stats_file(stats_file, int(asr_cfg.input_size))
        normalize = instantiate_node(asr_cfg.normalize, stats_file=str(stats_file))
    preencoder = instantiate_node(asr_cfg.get("preencoder"))
    input_size = preencoder.output_size() if preencoder is not None else int(asr_cfg.input_size)
    encoder = instantiate_node(asr_cfg.encoder, input_size=input_size)
    decoder = None
    if asr_cfg.get("decoder") is not None:
        decoder = instantiate_node(asr_cfg.decoder, vocab_size=vocab_size, encoder_output_size=encoder.output_size())
    ctc = CTC(odim=vocab_size, encoder_output_size=encoder.output_size(), **OmegaConf.to_container(asr_cfg.ctc))
    model_kwargs = OmegaConf.to_container(asr_cfg.model, resolve=True)
    if decoder is None and model_kwargs.get("ctc_weight", 1.0) != 1.0:
        raise ConfigError("asr.decoder is null, so asr.model.ctc_weight must be 1.0 (pure CTC)")
    mask_conv_padding(encoder, in_training=bool(asr_cfg.get("mask_conv_padding", False)))
    return ESPnetASRModel(
        vocab_size=vocab_size,
        token_list=list(token_list),
        frontend=None,
        specaug=specaug,
        normalize=normalize,
        preencoder=preencoder,
        encoder=encoder,
        postencoder=None,
        decoder=decoder,
        ctc=ctc,
        joint_network=None,
        **model_kwargs,
    )


def mask_conv_padding(encoder, in_training: bool = False) -> int:
    """Zero padded frames before each conformer depthwise convolution; return how many modules were hooked.

    Always at inference (any model: it then sees what it sees encoded alone); in training only when
    ``in_training`` (``asr.mask_conv_padding``), since that changes what the model is trained on.

    ESPnet's ``ConvolutionModule`` convolves over the padded tail of shorter utterances in a batch, so a hypothesis
    depends on what else is in the batch (measured on the demo dev set: beam MER 0.29 in batches of 20,000 frames,
    0.05 one utterance at a time). With the padding zeroed, a batched utterance sees exactly what it sees alone.
    """
    hooked = 0
    if type(getattr(encoder, "embed", None)).__name__ in SUBSAMPLING_SLICES:
        encoder.embed.register_forward_hook(_exact_subsampled_mask)
    for layer in getattr(encoder, "encoders", []):
        depthwise = getattr(getattr(layer, "conv_module", None), "depthwise_conv", None)
        if depthwise is None:
            continue

        def keep_mask(module, args, depthwise=depthwise) -> None:
            depthwise._cstk_valid = args[1]  # (B, 1, T') True on real frames

        def apply_mask(module, args):
            x, valid = args[0], getattr(module, "_cstk_valid", None)  # x: (B, C, T') after the GLU
            if (
                (module.training and not in_training)
                or valid is None
                or valid.dim() != 3
                or valid.shape[-1] != x.shape[-1]
            ):
                return None
            return (x.masked_fill(~valid, 0.0), *args[1:])

        layer.register_forward_pre_hook(keep_mask)
        depthwise.register_forward_pre_hook(apply_mask)
        hooked += 1
    return hooked


#: how ESPnet's conv subsampling classes slice the time mask: (stop offset, step) per convolution
SUBSAMPLING_SLICES: dict[str, tuple[tuple[int, int], ...]] = {
    "Conv2dSubsampling": ((-2, 2), (-2, 2)),
    "Conv2dSubsampling2": ((-2, 2), (-2, 1)),
    "Conv2dSubsampling6": ((-2, 2), (-4, 3)),
    "Conv2dSubsampling8": ((-2, 2), (-2, 2), (-2, 2)),
}


def _exact_subsampled_mask(module, args, output):
    """At inference, give each utterance the number of frames it has when encoded alone.

    ESPnet subsamples the padded batch mask by slicing, so a short utterance in a long batch keeps one or two extra
    "valid" frames whose receptive field covers padding. In training the mask is left as ESPnet makes it.
    """
    if module.training or not isinstance(output, tuple) or output[1] is None:
        return None
    x, mask = output
    lengths = args[1].reshape(args[1].shape[0], -1).sum(-1)  # (B,) valid input frames
    for stop, step in SUBSAMPLING_SLICES[type(module).__name__]:
        lengths = torch.div(lengths + stop - 1, step, rounding_mode="floor") + 1  # len(range(0, L + stop, step))
        lengths = lengths.clamp(min=0)
    width = mask.shape[-1]
    exact = torch.arange(width, device=mask.device)[None, None, :] < lengths.clamp(max=width)[:, None, None]
    return x, exact & mask


def _placeholder_stats(dim: int) -> Path:
    """Identity statistics (mean 0, variance 1) so a model can be rebuilt before its saved buffers are loaded."""
    import tempfile

    import numpy as np

    path = Path(tempfile.gettempdir()) / f"cstk_identity_stats_{dim}.npz"
    if not path.is_file():
        tmp = path.with_suffix(f".{id(path)}.npz")
        np.savez(tmp, count=np.array(1.0), sum=np.zeros(dim), sum_square=np.ones(dim))
        tmp.replace(path)
    return path


def count_parameters(model) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
