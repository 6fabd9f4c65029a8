"""What the flow model reads from a data directory: speech tokens, log-mel and a speaker embedding per utterance.

Shared by training (:mod:`cstoolkit.tts.flow.train`) and synthesis of whole data directories.
"""

from __future__ import annotations

from pathlib import Path

from cstoolkit.data.table import Field, UttTable, read_table
from cstoolkit.errors import InputFileError
from cstoolkit.tokenizer.checks import TOKENS_FILE
from cstoolkit.tts.pretrained.speaker import EMBED_FILE

#: what the flow model reads from a data directory
FIELDS = {
    "speech_tokens": Field(TOKENS_FILE, "ints"),
    "mel": Field("mel.scp", "scp"),
    "utt_embed": Field(EMBED_FILE, "scp"),
}


def flow_table(data_dir: str | Path, max_frames: int | None = None) -> UttTable:
    """The utterances of ``data_dir`` with speech tokens, mel and a speaker embedding (lengths: mel frames)."""
    data_dir = Path(data_dir)
    for f in FIELDS.values():
        if not (data_dir / f.file).is_file():
            stage = {TOKENS_FILE: "cstk tokenize", EMBED_FILE: "cstk embed-speakers"}.get(f.file, "cstk features")
            raise InputFileError(data_dir / f.file, f"missing: run {stage} first")
    table = read_table(data_dir, FIELDS, ["mel_shape"], max_frames, "flow.batch.max_frames_per_utt")
    table.keep(lambda i: None if table.columns["speech_tokens"][i] else "no speech tokens")
    table.log_skipped()
    if not len(table):
        raise InputFileError(data_dir, f"no utterance to train the flow model on: {table.why_empty()}")
    return table
