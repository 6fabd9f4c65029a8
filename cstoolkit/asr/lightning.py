"""LightningModule wrapping ESPnet's ASR model, with a CTC-greedy dev MER each epoch."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from cstoolkit.asr.decode import ctc_greedy
from cstoolkit.asr.model import build_asr_model
from cstoolkit.data.loader import Batch
from cstoolkit.metrics.align import EditCounts, align
from cstoolkit.text import normalize, split_units
from cstoolkit.train.module import CstkLightningModule
from cstoolkit.train.output import StepOutput


class AsrLightningModule(CstkLightningModule):
    """Trains ``self.model`` (ESPnetASRModel) with its hybrid CTC/attention loss (built by ``asr.module``).

    Args:
        asr_cfg: the ``asr`` config group.
        token_list: ESPnet token list.
        stats_file: GlobalMVN statistics of the training features.
        decode_ids: token ids -> text (the units tokenizer), for the dev MER.
        dev_texts: reference transcripts of the dev utterances, for the dev MER.
    """

    def __init__(self, asr_cfg: DictConfig, token_list: list[str], stats_file, decode_ids=None, dev_texts=None):
        super().__init__(asr_cfg)
        self.model = build_asr_model(asr_cfg, token_list, stats_file)
        self.decode_ids = decode_ids
        self.dev_texts = dev_texts or {}
        self.dev_decode_utts = int(asr_cfg.train.get("dev_decode_utts", 0))
        self._dev_counts = EditCounts()
        self._dev_seen = 0
        self._dev_limit = self.dev_decode_utts

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        """ESPnet's hybrid loss on ``speech (B, T, D)`` and ``text (B, L)``; stats: loss_ctc, loss_att, acc, ..."""
        loss, stats, _ = self.model(batch["speech"], batch["speech_lengths"], batch["text"], batch["text_lengths"])
        return StepOutput({"loss": loss}, {k: float(v) for k, v in stats.items() if v is not None})

    def on_validation_epoch_start(self) -> None:
        self._dev_counts = EditCounts()
        self._dev_seen = 0
        # under DDP each rank decodes the first utterances of its own share: together dev_decode_utts
        self._dev_limit = -(-self.dev_decode_utts // max(1, self.trainer.world_size))

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        # greedy first: the loss pass normalises batch["speech"] in place (ESPnet GlobalMVN without grad)
        self._greedy_mer(batch)
        super().validation_step(batch, batch_idx)

    def _greedy_mer(self, batch: Batch) -> None:
        """Accumulate the CTC-greedy MER of the first ``dev_decode_utts`` dev utterances."""
        if batch.empty or self.decode_ids is None or self._dev_seen >= self._dev_limit:
            return
        hyps = ctc_greedy(self.model, batch["speech"], batch["speech_lengths"])
        for utt, ids in zip(batch.utts, hyps):
            if utt in self.dev_texts and self._dev_seen < self._dev_limit:
                ref = split_units(normalize(self.dev_texts[utt]))
                hyp = split_units(normalize(self.decode_ids(ids)))
                self._dev_counts.add(align(ref, hyp).counts)
                self._dev_seen += 1

    def on_validation_epoch_end(self) -> None:
        counts, seen = self._dev_counts, self._dev_seen
        if self.trainer.world_size > 1:  # pool the edit counts of every rank's share (on every rank: a collective)
            c = counts
            local = torch.tensor([c.substitutions, c.deletions, c.insertions, c.ref_units, seen], dtype=torch.float64)
            total = self.trainer.strategy.reduce(local.to(self.device), reduce_op="sum").round().long().tolist()
            counts, seen = EditCounts(*total[:4]), total[4]
        if seen:  # (under DDP the same pooled value on every rank: syncing it changes nothing)
            self.log("val/mer_greedy", counts.error_rate, prog_bar=True, sync_dist=self.trainer.world_size > 1)
