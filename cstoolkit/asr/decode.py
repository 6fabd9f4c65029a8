"""Decoding: batched CTC greedy search and ESPnet's joint CTC/attention beam search, with real-time factor."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from omegaconf import DictConfig

from cstoolkit.errors import ConfigError

log = logging.getLogger(__name__)

BLANK_ID = 0
METHODS = ("greedy", "beam")


def encode(model, speech: torch.Tensor, speech_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``model.encode`` on a copy of ``speech`` (B, T, D): ESPnet's GlobalMVN normalises its input in place when
    no gradient is needed, so a second pass over the same tensor would see doubly normalised features."""
    return model.encode(speech.clone(), speech_lengths)


def ctc_greedy(model, speech: torch.Tensor, speech_lengths: torch.Tensor) -> list[list[int]]:
    """Best path of the CTC output for a whole batch.

    Args:
        model: ESPnetASRModel (eval mode for deterministic output).
        speech: (B, T, D) features; speech_lengths: (B,) valid frames.

    Returns:
        B token-id lists: repeated labels merged, blanks removed.
    """
    enc, enc_lens = encode(model, speech, speech_lengths)  # (B, T', D'), (B,)
    best = model.ctc.argmax(enc)  # (B, T')
    out: list[list[int]] = []
    for b in range(best.shape[0]):
        seq = torch.unique_consecutive(best[b, : int(enc_lens[b])])
        out.append(seq[seq != BLANK_ID].tolist())
    return out


@contextmanager
def quiet_espnet():
    """ESPnet's beam search logs several INFO lines per utterance: keep only its warnings inside the block."""
    logger = logging.getLogger("espnet")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


class JointBeamSearch:
    """ESPnet's ``BatchBeamSearch`` (hypotheses of one utterance scored as a batch) with the attention decoder,
    the CTC prefix scorer and a length bonus, weighted ``(1 - ctc_weight, ctc_weight, penalty)``."""

    def __init__(self, model, token_list: list[str], cfg: DictConfig) -> None:
        from espnet.nets.batch_beam_search import BatchBeamSearch
        from espnet.nets.scorers.ctc import CTCPrefixScorer
        from espnet.nets.scorers.length_bonus import LengthBonus

        ctc_weight = float(cfg.ctc_weight)
        if model.decoder is None:
            raise ConfigError("this model has no attention decoder: decode with method=greedy")
        if not 0.0 <= ctc_weight <= 1.0:
            raise ConfigError(f"decode.ctc_weight must be in [0, 1], got {ctc_weight}")
        scorers = {
            "decoder": model.decoder,
            "ctc": CTCPrefixScorer(ctc=model.ctc, eos=model.eos),
            "length_bonus": LengthBonus(len(token_list)),
        }
        weights = {"decoder": 1.0 - ctc_weight, "ctc": ctc_weight, "length_bonus": float(cfg.penalty)}
        self.search = BatchBeamSearch(
            scorers=scorers,
            weights=weights,
            beam_size=int(cfg.beam_size),
            vocab_size=len(token_list),
            sos=model.sos,
            eos=model.eos,
            token_list=token_list,
            pre_beam_score_key=None if ctc_weight == 1.0 else "full",
        )
        self.search.to(next(model.parameters()).device).eval()
        self.maxlenratio = float(cfg.maxlenratio)
        self.minlenratio = float(cfg.minlenratio)

    def __call__(self, enc: torch.Tensor) -> list[int]:
        """Best hypothesis for one utterance's encoder output ``enc`` (T', D'), without sos/eos."""
        with quiet_espnet():
            hyps = self.search(x=enc, maxlenratio=self.maxlenratio, minlenratio=self.minlenratio)
        if not hyps:
            return []
        return [int(t) for t in hyps[0].yseq.tolist()[1:-1]]


@dataclass
class DecodeStats:
    """Timing of one decoding run: RTF = wall seconds / audio seconds."""

    method: str
    utterances: int
    audio_seconds: float
    wall_seconds: float

    @property
    def rtf(self) -> float:
        return self.wall_seconds / self.audio_seconds if self.audio_seconds > 0 else float("nan")


def decode_batch(model, speech: torch.Tensor, lengths: torch.Tensor, method: str, beam: JointBeamSearch | None):
    """Token ids for a padded batch ``speech (B, T, D)`` with ``lengths (B,)``: greedy in one pass, or the encoder
    in one pass followed by a beam search per utterance."""
    if method == "greedy":
        return ctc_greedy(model, speech, lengths)
    if method != "beam" or beam is None:
        raise ConfigError(f"unknown decoding method {method!r}; choose one of {', '.join(METHODS)}")
    enc, enc_lens = encode(model, speech, lengths)
    return [beam(enc[b, : int(enc_lens[b])]) for b in range(enc.shape[0])]


def timed(fn, *args):
    """``(result, seconds)`` of ``fn(*args)``."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start
