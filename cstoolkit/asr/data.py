"""ASR training data from a Kaldi directory with extracted features (``feats.scp`` + ``text``).

Utterances that cannot be used (no features, no length, too long, no tokens) are dropped when the set is built and
listed with their reason; a feature file that fails to load during training is skipped for that batch and reported
(logged with the path, and counted by the training module), never fatal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from cstoolkit.errors import InputFileError
from cstoolkit.train.io import read_kaldi_map

log = logging.getLogger(__name__)

IGNORE_ID = -1  # ESPnet pads token sequences with -1


@dataclass
class SplitIndex:
    """Usable utterances of one split: ids, feature paths (kaldiio specifiers), frame counts and texts."""

    data_dir: Path
    utt_ids: list[str]
    feats: list[str]
    num_frames: list[int]
    texts: list[str]
    skipped: dict[str, str] = field(default_factory=dict)  # utterance id -> reason


def read_num_frames(data_dir: Path) -> dict[str, int]:
    """Frame counts from ``utt2num_frames`` (``utt T``) or ESPnet's ``feats_shape`` (``utt T,D``)."""
    for name in ("utt2num_frames", "feats_shape"):
        path = data_dir / name
        if path.is_file():
            out: dict[str, int] = {}
            for lineno, (utt, value) in enumerate(read_kaldi_map(path).items(), start=1):
                try:
                    out[utt] = int(value.split(",")[0])
                except ValueError:
                    raise InputFileError(path, f"bad frame count {value!r} for {utt}", line=lineno) from None
            return out
    raise InputFileError(data_dir / "utt2num_frames", "missing (and no feats_shape): run the features stage first")


def index_split(data_dir: str | Path, max_frames_per_utt: int | None = None, with_text: bool = True) -> SplitIndex:
    """Read ``feats.scp``, frame counts and (optionally) ``text`` of a data directory."""
    data_dir = Path(data_dir)
    feats = read_kaldi_map(data_dir / "feats.scp", allow_empty_value=False)
    frames = read_num_frames(data_dir)
    texts = read_kaldi_map(data_dir / "text") if with_text else {}
    index = SplitIndex(data_dir, [], [], [], [])
    missing = _missing_feature_files(feats.values())
    keys = sorted(set(feats) | set(texts)) if with_text else sorted(feats)
    for utt in keys:
        if utt not in feats:
            index.skipped[utt] = "no features in feats.scp"
        elif _feature_file(feats[utt]) in missing:
            index.skipped[utt] = f"feature file {_feature_file(feats[utt])} not found"
        elif utt not in frames:
            index.skipped[utt] = "no frame count"
        elif with_text and utt not in texts:
            index.skipped[utt] = "no transcript in text"
        elif max_frames_per_utt and frames[utt] > max_frames_per_utt:
            index.skipped[utt] = f"{frames[utt]} frames > batch.max_frames_per_utt={max_frames_per_utt}"
        else:
            index.utt_ids.append(utt)
            index.feats.append(feats[utt])
            index.num_frames.append(frames[utt])
            index.texts.append(texts.get(utt, ""))
    return index


def _feature_file(spec: str) -> str:
    """The file of a kaldiio specifier: ``a.ark:123`` and ``a.ark:123[0:9]`` -> ``a.ark``; pipes stay as they are."""
    if spec.rstrip().endswith("|"):
        return spec
    return re.sub(r":\d+(\[[^\]]*\])?$", "", spec)


def _missing_feature_files(specs) -> set[str]:
    """Feature files named in ``feats.scp`` that do not exist (each file checked once)."""
    files = {_feature_file(s) for s in specs}
    return {f for f in files if not f.endswith("|") and not Path(f).is_file()}


class FeatureDimError(ValueError):
    """Features with another dimension than the model's ``asr.input_size``: a setup error, not a corrupt file."""


def load_features(spec: str, dim: int | None = None) -> np.ndarray:
    """Load one (T, D) float32 matrix from a kaldiio specifier (``file.ark:offset``) or a ``.npy`` path.

    Raises ValueError with the reason (FeatureDimError when ``dim`` is given and D differs from it).
    """
    import kaldiio

    try:
        mat = np.load(spec) if spec.endswith(".npy") else kaldiio.load_mat(spec)
    except Exception as err:
        reason = " ".join(str(err).split()) or "truncated or corrupt feature file"
        raise ValueError(f"cannot read {spec}: {reason} ({type(err).__name__})") from None
    mat = np.array(mat, dtype=np.float32)  # a writable copy (kaldiio may return a read-only view)
    if mat.ndim != 2 or mat.shape[0] == 0:
        raise ValueError(f"{spec}: expected a non-empty (T, D) matrix, got shape {mat.shape}")
    if dim is not None and mat.shape[1] != dim:
        raise FeatureDimError(
            f"{spec}: {mat.shape[1]}-dim features, but the model takes {dim}-dim ones (asr.input_size): "
            "features made with another configuration?"
        )
    return mat


def check_feature_dim(index: SplitIndex, dim: int, tries: int = 3) -> None:
    """InputFileError when the first loadable utterance of ``index`` has features of another dimension than ``dim``.

    Checked once before training or decoding, so a whole directory of wrong features fails with one line instead of
    a size mismatch deep inside the model (unreadable utterances are left to the per-utterance handling).
    """
    for spec in index.feats[:tries]:
        try:
            load_features(spec, dim)
            return
        except FeatureDimError as err:
            raise InputFileError(index.data_dir / "feats.scp", str(err)) from None
        except ValueError:
            continue


class AsrDataset(torch.utils.data.Dataset):
    """Items ``{"utt": id, "feats": (T, D) float32, "tokens": (L,) int64}``; ``None`` for a corrupt feature file."""

    def __init__(
        self, index: SplitIndex, encode, max_tokens_per_utt: int | None = None, dim: int | None = None
    ) -> None:
        self.index = index
        self.dim = dim
        self.tokens: list[list[int]] = []
        keep = []
        for k, text in enumerate(index.texts):
            ids = encode(text)
            if not ids:
                index.skipped[index.utt_ids[k]] = "transcript has no tokens"
            elif max_tokens_per_utt and len(ids) > max_tokens_per_utt:
                index.skipped[index.utt_ids[k]] = f"{len(ids)} tokens > batch.max_tokens_per_utt"
            else:
                keep.append(k)
                self.tokens.append(ids)
        self.utt_ids = [index.utt_ids[k] for k in keep]
        self.feats = [index.feats[k] for k in keep]
        self.num_frames = [index.num_frames[k] for k in keep]
        for utt, reason in sorted(index.skipped.items()):
            log.warning("%s: skipping %s: %s", index.data_dir, utt, reason)

    def __len__(self) -> int:
        return len(self.utt_ids)

    def __getitem__(self, i: int) -> dict | None:
        try:
            feats = load_features(self.feats[i], self.dim)
        except Exception as err:  # a corrupt or truncated ark must not stop training
            log.warning("corrupt features for %s: %s; skipped", self.utt_ids[i], err)
            return {"utt": self.utt_ids[i], "corrupt": str(err)}
        return {"utt": self.utt_ids[i], "feats": torch.from_numpy(feats), "tokens": torch.tensor(self.tokens[i])}


def collate_asr(items: list[dict]) -> dict:
    """Pad a list of items into a batch.

    Returns ``{"utts": [B], "speech": (B, T, D), "speech_lengths": (B,), "text": (B, L) padded with -1,
    "text_lengths": (B,), "corrupt": {utt: reason}}``; ``speech`` is None when every item was corrupt.
    """
    good = [it for it in items if "feats" in it]
    corrupt = {it["utt"]: it["corrupt"] for it in items if "corrupt" in it}
    if not good:
        return {"utts": [], "speech": None, "corrupt": corrupt}
    speech = torch.nn.utils.rnn.pad_sequence([it["feats"] for it in good], batch_first=True)
    text = torch.nn.utils.rnn.pad_sequence([it["tokens"] for it in good], batch_first=True, padding_value=IGNORE_ID)
    return {
        "utts": [it["utt"] for it in good],
        "speech": speech,
        "speech_lengths": torch.tensor([it["feats"].shape[0] for it in good]),
        "text": text,
        "text_lengths": torch.tensor([it["tokens"].shape[0] for it in good]),
        "corrupt": corrupt,
    }
