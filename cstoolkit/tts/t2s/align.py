"""Text units aligned to speech-token frames with the speech tokenizer's own CTC head: durations for a NAR T2S model.

The tokenizer is the CS-ASR with a quantizer after encoder block k, so its CTC head (``model.ctc``, on the final
encoder output) runs at the rate of the speech tokens: one CTC frame per token. For each utterance, the fbank
features (``feats.scp``) go through the encoder *through the quantizer*, as extraction does, giving CTC log-probs
``(T', V)``; ``T'`` must equal the utterance's number of speech tokens (else the tokens come from another tokenizer
or other features: the utterance is skipped and reported). The target is the transcript's model text units
(``TextTokenizer(<tokenizer>/units).encode(text)``), aligned by Viterbi forced alignment
(``torchaudio.functional.forced_align``; a plain Viterbi of our own where torchaudio no longer ships it).

Durations: unit i gets the frames from its first aligned frame up to the first aligned frame of unit i + 1, i.e.
its own frames plus the blank frames after it; the last unit runs to the end of the utterance, and **the blank
frames before the first unit (leading silence) are added to the first unit** (no separate "lead" count). So the
durations sum to ``T'`` and every unit gets at least one frame.

Languages: one code per unit. From ``utt2seg.jsonl`` when the data directory has it and its segments give the same
units as the whole transcript; else by script (:func:`cstoolkit.data.lang_tags.segment_by_script` on each unit,
with the matrix language of ``utt2lang``; digits and symbols take the language of the unit before them).

Outputs, written atomically into each data directory: ``text_units`` (``utt id id ...``), ``unit_durations``
(``utt n n ...``), ``unit_langs`` (``utt zh zh en ...``) and ``unit_align.json`` (what was done, the utterances
skipped and why). Utterances that cannot be aligned (no units, more units than frames, features too short for the
encoder, no or mismatched speech tokens, unreadable features) are skipped and reported, never dropped silently.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from cstoolkit.asr.data import FEATS, asr_table, collate_asr
from cstoolkit.asr.decode import BLANK_ID, encode
from cstoolkit.core.atomic import atomic_write_json
from cstoolkit.core.modeldir import UNITS_SUBDIR
from cstoolkit.core.shards import merge_shards, run_shards
from cstoolkit.data.kaldi_dir import SEGMENTS_FILE, read_kaldi_map, read_segments, write_kaldi_map
from cstoolkit.data.loader import UttDataset, make_loader
from cstoolkit.data.matrices import FeatureDimError
from cstoolkit.errors import InputFileError
from cstoolkit.text.tokens import TOKENS_FILE as UNIT_LIST
from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tokenizer.checks import TOKENS_FILE, read_tokenizer_config
from cstoolkit.tts.frontend import matrix_language, units_and_langs

log = logging.getLogger(__name__)

UNITS_FILE, DURATIONS_FILE, LANGS_FILE, ALIGN_INFO = "text_units", "unit_durations", "unit_langs", "unit_align.json"
LEAD_POLICY = "first_unit"  # where leading blank frames go (recorded in unit_align.json)


# -- CTC forced alignment ------------------------------------------------------------------------------------------
def min_frames(target: Sequence[int]) -> int:
    """Fewest CTC frames that can hold ``target``: one per unit plus a blank between two equal neighbours."""
    return len(target) + sum(1 for a, b in itertools.pairwise(target) if a == b)


def ctc_forced_align(log_probs: torch.Tensor, target: Sequence[int], blank: int = BLANK_ID) -> tuple[list[int], float]:
    """Viterbi CTC alignment of ``target`` (L ids) to ``log_probs`` ``(T, V)``.

    Returns the label of each frame (``blank`` or a target id) and the mean log-probability of the path per
    frame. ValueError when the target does not fit (``T < min_frames(target)``).
    """
    n_frames = int(log_probs.shape[0])
    if not target:
        raise ValueError("no text units")
    if n_frames < min_frames(target):
        raise ValueError(
            f"{len(target)} units need at least {min_frames(target)} frames (a blank between repeats), "
            f"the utterance has {n_frames}"
        )
    lp = log_probs.detach().float().cpu()
    try:
        from torchaudio.functional import forced_align
    except ImportError:  # torchaudio announced its removal
        forced_align = None
    if forced_align is None:
        path, score = _viterbi(lp.numpy(), list(target), blank)
        return path, score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation notice, once per utterance
        labels, scores = forced_align(lp[None], torch.tensor([list(target)], dtype=torch.int32), blank=blank)
    return labels[0].tolist(), float(scores[0].mean())


def _viterbi(lp: np.ndarray, target: list[int], blank: int) -> tuple[list[int], float]:
    """Plain CTC Viterbi over the blank-extended target (2L + 1 states), as ``forced_align`` computes it."""
    ext = [blank]
    for t in target:
        ext += [t, blank]
    ext_arr = np.array(ext)
    n_states, n_frames = len(ext), lp.shape[0]
    skip_ok = np.zeros(n_states, dtype=bool)  # state s may come from s - 2 (a label unlike the one two back)
    skip_ok[2:] = (ext_arr[2:] != blank) & (ext_arr[2:] != ext_arr[:-2])
    score = np.full(n_states, -np.inf)
    score[:2] = lp[0, ext_arr[:2]]
    back = np.zeros((n_frames, n_states), dtype=np.int64)
    for t in range(1, n_frames):
        stay, step = score, np.concatenate([[-np.inf], score[:-1]])
        jump = np.where(skip_ok, np.concatenate([[-np.inf, -np.inf], score[:-2]]), -np.inf)
        choices = np.stack([stay, step, jump])  # (3, S)
        best = choices.argmax(0)
        back[t] = np.arange(n_states) - best
        score = choices.max(0) + lp[t, ext_arr]
    state = n_states - 1 if score[-1] >= score[-2] else n_states - 2
    total = score[state]
    states = [state]
    for t in range(n_frames - 1, 0, -1):
        state = int(back[t, state])
        states.append(state)
    return [int(ext_arr[s]) for s in reversed(states)], float(total / n_frames)


def durations_from_path(labels: Sequence[int], n_units: int, blank: int = BLANK_ID) -> list[int]:
    """Frames per unit from a CTC path: each unit's own frames plus the blanks after it; the leading blanks go
    to the first unit (module docstring). The result sums to ``len(labels)``."""
    starts = [t for t, lab in enumerate(labels) if lab != blank and (t == 0 or labels[t - 1] != lab)]
    if len(starts) != n_units:
        raise ValueError(f"the path holds {len(starts)} units, the target {n_units}")
    ends = [*starts[1:], len(labels)]
    durations = [end - start for start, end in zip(starts, ends)]
    durations[0] += starts[0]
    return durations


# -- whole data directories ----------------------------------------------------------------------------------------
@dataclass
class AlignStats:
    """One data directory aligned (``wall_seconds``: of the whole call, which may have done several)."""

    utterances: int = 0
    units: int = 0
    frames: int = 0
    unk_units: int = 0
    mean_path_logprob: float = 0.0
    lang_sources: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass
class _Aligned:
    units: list[int]
    durations: list[int]
    langs: list[str]
    score: float
    source: str


def units_fingerprint(units_dir: str | Path) -> str:
    """SHA-1 of a units directory's token list: ``text_units`` ids mean something only with that list."""
    return hashlib.sha1((Path(units_dir) / UNIT_LIST).read_bytes()).hexdigest()


def align_dir(tokenizer_dir: str | Path, data_dir: str | Path, **kwargs) -> AlignStats:
    """:func:`align_dirs` for one data directory."""
    return align_dirs(tokenizer_dir, [data_dir], **kwargs)[0]


def align_dirs(
    tokenizer_dir: str | Path,
    data_dirs: Sequence[str | Path],
    nj: int = 1,
    device: str = "auto",
    threads: int | None = None,
) -> list[AlignStats]:
    """Align every utterance of each data directory (``feats.scp``, ``text``, ``speech_tokens``; ``utt2lang`` and
    ``utt2seg.jsonl`` when present) and write its ``text_units``, ``unit_durations``, ``unit_langs`` and
    ``unit_align.json``, in ``nj`` processes (each loads the tokenizer once and takes every ``nj``-th utterance).

    Every directory is checked before any is aligned; InputFileError when a directory lacks a needed file or no
    utterance of it can be aligned (nothing is written for it then).
    """

    tokenizer_dir = Path(tokenizer_dir)
    data_dirs = [Path(d) for d in data_dirs]
    read_tokenizer_config(tokenizer_dir)
    for data_dir in data_dirs:
        for name, hint in ((FEATS.file, "cstk features"), ("text", "cstk prepare"), (TOKENS_FILE, "cstk tokenize")):
            if not (data_dir / name).is_file():
                raise InputFileError(data_dir / name, f"missing: run {hint} first")
    start = time.perf_counter()
    parts = run_shards(_align_shard, (str(tokenizer_dir), [str(d) for d in data_dirs]), nj, device, threads)
    wall = time.perf_counter() - start
    units_dir = tokenizer_dir / UNITS_SUBDIR
    fingerprint = units_fingerprint(units_dir)
    out = []
    for data_dir, (aligned, skipped) in zip(data_dirs, merge_shards(parts), strict=True):
        for utt, reason in sorted(skipped.items()):
            log.warning("%s: %s not aligned: %s", data_dir, utt, reason)
        if not aligned:
            example = f", e.g. {min(skipped.items())}" if skipped else ""
            raise InputFileError(data_dir / TOKENS_FILE, f"no utterance could be aligned{example}")
        stats = _write_alignment(data_dir, aligned, skipped, tokenizer_dir, fingerprint, wall)
        log.info(
            "aligned %d utterances of %s (%d units over %d frames, mean path log-prob %.3f; %d skipped)",
            stats.utterances,
            data_dir,
            stats.units,
            stats.frames,
            stats.mean_path_logprob,
            len(skipped),
        )
        out.append(stats)
    log.info("aligned %d directories in %.1f s (%d processes)", len(data_dirs), wall, max(1, nj))
    return out


def _write_alignment(
    data_dir: Path, aligned: dict[str, _Aligned], skipped: dict[str, str], tokenizer_dir: Path, fp: str, wall: float
) -> AlignStats:
    """The three per-unit files and ``unit_align.json`` (written last: it describes complete files)."""
    write_kaldi_map(data_dir / UNITS_FILE, ((u, " ".join(map(str, a.units))) for u, a in aligned.items()))
    write_kaldi_map(data_dir / DURATIONS_FILE, ((u, " ".join(map(str, a.durations))) for u, a in aligned.items()))
    write_kaldi_map(data_dir / LANGS_FILE, ((u, " ".join(a.langs)) for u, a in aligned.items()))
    units = TextTokenizer(tokenizer_dir / UNITS_SUBDIR)
    stats = AlignStats(
        utterances=len(aligned),
        units=sum(len(a.units) for a in aligned.values()),
        frames=sum(sum(a.durations) for a in aligned.values()),
        unk_units=sum(a.units.count(units.unk_id) for a in aligned.values()),
        mean_path_logprob=float(np.mean([a.score for a in aligned.values()])),
        lang_sources=dict(Counter(a.source for a in aligned.values())),
        wall_seconds=wall,
        skipped=dict(sorted(skipped.items())),
    )
    languages = Counter(lang for a in aligned.values() for lang in a.langs)
    atomic_write_json(
        data_dir / ALIGN_INFO,
        {
            "tokenizer": str(tokenizer_dir.resolve()),
            "units_sha1": fp,
            "lead_blanks": LEAD_POLICY,
            "utterances": stats.utterances,
            "units": stats.units,
            "frames": stats.frames,
            "frames_per_unit": round(stats.frames / max(1, stats.units), 3),
            "unk_units": stats.unk_units,
            "mean_path_logprob": round(stats.mean_path_logprob, 4),
            "lang_sources": stats.lang_sources,
            "languages": dict(languages.most_common()),
            "wall_seconds": round(wall, 2),
            "skipped": stats.skipped,
        },
    )
    return stats


def _align_shard(tokenizer_dir: str, data_dirs: list[str], job: int, nj: int, device: str):
    """Per data directory ``({utt: _Aligned}, {utt: reason})`` of every ``nj``-th utterance from ``job`` (a job of
    :func:`cstoolkit.core.shards.run_shards`)."""
    from cstoolkit.tokenizer.extract import SpeechTokenizer, read_speech_tokens

    tok = SpeechTokenizer.load(tokenizer_dir, device)
    units = TextTokenizer(Path(tokenizer_dir) / UNITS_SUBDIR)
    out = []
    for data_dir in map(Path, data_dirs):
        speech_tokens = read_speech_tokens(data_dir / TOKENS_FILE)
        out.append(_align_part(tok, units, data_dir, speech_tokens, job, nj))
    return out


def _align_part(tok, units: TextTokenizer, data_dir: Path, speech_tokens: dict[str, list[int]], job: int, nj: int):
    from espnet.nets.pytorch_backend.transformer.subsampling import check_short_utt

    table = asr_table(data_dir, with_text=True)
    if nj > 1:
        table.keep(lambda i: None if i % nj == job else "another job's")
        table.skipped = {u: r for u, r in table.skipped.items() if r != "another job's"}
    dim = int(tok.model_cfg.input_size)
    table.check_dim("speech", dim, "asr.input_size")
    utt2lang = read_kaldi_map(data_dir / "utt2lang") if (data_dir / "utt2lang").is_file() else {}
    segments = read_segments(data_dir / SEGMENTS_FILE) if (data_dir / SEGMENTS_FILE).is_file() else {}
    skipped: dict[str, str] = dict(table.skipped)
    targets: dict[str, tuple[list[int], list[str], str]] = {}

    def reason(i: int) -> str | None:
        utt, text = table.utt_ids[i], table.columns["text"][i]
        if utt not in speech_tokens:
            return f"not in {TOKENS_FILE}"
        short, limit = check_short_utt(tok.model.encoder.embed, int(table.lengths[i]))
        if short:
            return f"{table.lengths[i]} feature frames: too short for the tokenizer (needs {limit}+)"
        matrix = matrix_language(utt2lang.get(utt), text)
        pieces, langs, source = units_and_langs(units, text, matrix, segments.get(utt))
        ids = [units.index.get(p, units.unk_id) for p in pieces]
        if not ids:
            return "the transcript has no text units"
        if min_frames(ids) > len(speech_tokens[utt]):
            return (
                f"{len(ids)} text units need at least {min_frames(ids)} frames, the utterance has "
                f"{len(speech_tokens[utt])} speech tokens"
            )
        targets[utt] = (ids, langs, source)
        return None

    table.keep(reason)
    skipped.update({u: r for u, r in table.skipped.items() if u not in skipped and r != "another job's"})
    dataset = UttDataset(table, {"speech": dim}, fatal=(FeatureDimError,), on_corrupt=_report_corrupt)
    aligned: dict[str, _Aligned] = {}
    with torch.inference_mode():
        for batch in make_loader(dataset, tok.batch_frames, collate=collate_asr):
            skipped.update(batch.corrupt)
            if batch.empty:
                continue
            speech, lengths = batch["speech"].to(tok.device), batch["speech_lengths"].to(tok.device)
            with warnings.catch_warnings():  # ESPnet's torch.cuda.amp.autocast FutureWarning, once per batch
                warnings.simplefilter("ignore", FutureWarning)
                enc, enc_lens = encode(tok.model, speech, lengths)  # through the quantizer (its forward hook)
            log_probs = tok.model.ctc.log_softmax(enc).cpu()  # (B, T', V)
            for b, utt in enumerate(batch.utts):
                n, want = int(enc_lens[b]), len(speech_tokens[utt])
                if n != want:
                    skipped[utt] = (
                        f"{n} encoder frames but {want} speech tokens: {TOKENS_FILE} was made with "
                        "another tokenizer or other features (re-run cstk tokenize)"
                    )
                    continue
                ids, langs, source = targets[utt]
                try:
                    path, score = ctc_forced_align(log_probs[b, :n], ids)
                except (ValueError, RuntimeError) as err:
                    skipped[utt] = f"CTC alignment impossible: {err}"
                    continue
                aligned[utt] = _Aligned(ids, durations_from_path(path, len(ids)), langs, score, source)
    return aligned, skipped


def _report_corrupt(utt: str, reason: str) -> None:
    log.warning("corrupt features for %s: %s; not aligned", utt, reason)


__all__ = [
    "AlignStats",
    "align_dir",
    "align_dirs",
    "ctc_forced_align",
    "durations_from_path",
    "min_frames",
]
