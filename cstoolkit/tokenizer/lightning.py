"""LightningModule of the tokenizer: the CS-ASR's loss through the quantizer, plus its commitment loss."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from cstoolkit.asr.lightning import AsrLightningModule
from cstoolkit.data.loader import Batch
from cstoolkit.tokenizer.model import attach_quantizer, codebook_size
from cstoolkit.train.output import StepOutput


class TokenizerLightningModule(AsrLightningModule):
    """The CS-ASR module (hybrid CTC/attention loss, greedy dev MER) with ``model.quantizer`` after block k.

    Args:
        model_cfg: the merged module config (:func:`cstoolkit.tokenizer.model.module_config`).
        distributed: training under DDP (the codebook syncs across ranks).
        Other arguments: as :class:`~cstoolkit.asr.lightning.AsrLightningModule`.
    """

    def __init__(
        self,
        model_cfg: DictConfig,
        token_list: list[str],
        stats_file,
        decode_ids=None,
        dev_texts=None,
        distributed: bool = False,
    ) -> None:
        super().__init__(model_cfg, token_list, stats_file, decode_ids, dev_texts)
        self.tap = attach_quantizer(self.model, model_cfg, distributed)

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        """Named losses ``asr`` (ESPnet's hybrid loss on ``speech (B, T, D)``, ``text (B, L)``) and ``commit``
        (the quantizer's weighted commitment loss; 0 for FSQ and in eval mode); stats: ESPnet's, and the share of
        the codebook used in the batch and its code perplexity."""
        loss, stats, _ = self.model(batch["speech"], batch["speech_lengths"], batch["text"], batch["text_lengths"])
        out = {k: float(v) for k, v in stats.items() if v is not None}
        out.update(code_stats(self.tap.indices, codebook_size(self.model)))
        commit = self.tap.loss if self.tap.loss is not None else loss.new_zeros(())
        return StepOutput({"asr": loss.reshape(()), "commit": commit.reshape(())}, out)


def code_stats(indices: torch.Tensor | None, size: int) -> dict[str, float]:
    """``codes_used`` (share of the codebook in ``indices`` (B, T'), -1 ignored) and ``code_perplexity``."""
    if indices is None:
        return {}
    ids = indices[indices >= 0]
    if ids.numel() == 0:
        return {}
    counts = torch.bincount(ids.flatten(), minlength=size).double()
    p = counts / counts.sum()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"codes_used": float((counts > 0).sum()) / size, "code_perplexity": float(entropy.exp())}
