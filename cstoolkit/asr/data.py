"""What the ASR model reads from a data directory, through the shared data layer (:mod:`cstoolkit.data.loader`).

Fields: ``speech`` from ``feats.scp`` (lengths from ``utt2num_frames`` or ``feats_shape``) and, for training,
``text`` from ``text``, encoded into model text tokens. A transcript without tokens or with more than
``batch.max_tokens_per_utt`` is skipped with its reason, like every other unusable utterance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cstoolkit.data.loader import UttDataset, padded_collate
from cstoolkit.data.table import Field, UttTable, read_table

FEATS = Field("feats.scp", "scp")
TEXT = Field("text")
FRAME_COUNTS = ("utt2num_frames", "feats_shape")
IGNORE_ID = -1  # ESPnet pads token sequences with -1

#: batches ``speech (B, T, D)``, ``speech_lengths (B,)``, ``text (B, L)`` padded with -1, ``text_lengths (B,)``
collate_asr = padded_collate({"text": IGNORE_ID})


def asr_table(data_dir: str | Path, max_frames_per_utt: int | None = None, with_text: bool = True) -> UttTable:
    """The usable utterances of ``data_dir``: features (and transcripts), at most ``max_frames_per_utt`` frames."""
    fields = {"speech": FEATS, "text": TEXT} if with_text else {"speech": FEATS}
    return read_table(data_dir, fields, FRAME_COUNTS, max_frames_per_utt, "batch.max_frames_per_utt")


def tokenize_text(table: UttTable, encode: Callable[[str], list[int]], max_tokens_per_utt: int | None) -> None:
    """Replace the ``text`` column by token ids; skip transcripts without tokens or with too many."""
    ids = [encode(text) for text in table.columns["text"]]
    table.columns["text"] = ids

    def reason(i: int) -> str | None:
        if not ids[i]:
            return "transcript has no tokens"
        if max_tokens_per_utt and len(ids[i]) > max_tokens_per_utt:
            return f"{len(ids[i])} tokens > batch.max_tokens_per_utt"
        return None

    table.keep(reason)


def asr_train_set(
    data_dir: str | Path, encode: Callable[[str], list[int]], max_frames: int, max_tokens: int, dim: int
) -> tuple[UttDataset, dict[str, str]]:
    """Items ``{"utt", "speech": (T, D), "text": (L,)}`` of a training or dev directory, and its transcripts."""
    table = asr_table(data_dir, max_frames)
    texts = dict(zip(table.utt_ids, table.columns["text"]))
    tokenize_text(table, encode, max_tokens)
    table.log_skipped()
    return UttDataset(table, dims={"speech": dim}), texts
