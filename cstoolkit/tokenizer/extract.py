"""Speech tokens from a trained tokenizer directory: waveforms, audio files, feature batches, whole data directories.

Batched extraction gives the tokens of one-at-a-time extraction. Each utterance is encoded as it is alone (padding
zeroed before every convolution, exact subsampled lengths, attention masked: :mod:`cstoolkit.asr.model`) and each
frame is quantized on its own; what batching can still change is float rounding (kernels chosen by the batch's
shape, sums over padded lengths: ~1e-7 here). So a frame whose decision is within ``tokenizer.extract.tie_margin``
of a tie (two codes almost equally near; FSQ: a value almost on a rounding boundary) sends its utterance to be
re-encoded alone, and every token is the one-at-a-time token.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from cstoolkit.asr.data import FEATS, asr_table, collate_asr
from cstoolkit.asr.inference import audio_features, features_of
from cstoolkit.core.modeldir import UNITS_SUBDIR, WEIGHTS_FILE, load_weights
from cstoolkit.core.runtime import pick_device
from cstoolkit.core.shards import merge_shards, run_shards
from cstoolkit.data.kaldi_dir import read_kaldi_map, write_kaldi_map
from cstoolkit.data.loader import ItemsDataset, UttDataset, make_loader
from cstoolkit.data.matrices import FeatureDimError
from cstoolkit.errors import CstkError, InputFileError
from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tokenizer.checks import INFO_FILE, TOKENS_FILE, read_tokenizer_config
from cstoolkit.tokenizer.model import PAD_TOKEN, QuantizerTap, build_tokenizer_model, encode_tokens, module_config

log = logging.getLogger(__name__)


class SpeechTokenizer:
    """A loaded tokenizer: the CS-ASR encoder up to the quantizer (eval mode).

    >>> tok = SpeechTokenizer.load("exp/tokenizer")                 # doctest: +SKIP
    >>> tok.encode(wave, 16000)                                      # doctest: +SKIP
    [17, 17, 402, ...]
    """

    def __init__(self, model, tap: QuantizerTap, cfg: DictConfig, info: dict, device: torch.device) -> None:
        self.model, self.tap, self.cfg, self.info, self.device = model, tap, cfg, info, device
        self.model_cfg = module_config(cfg.asr, cfg.tokenizer)
        self.tie_margin = float(self.model_cfg.extract.tie_margin)
        self.batch_frames = int(self.model_cfg.extract.batch_frames)
        self.fallbacks = 0  # utterances re-encoded alone because of a near-tie

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "auto") -> SpeechTokenizer:
        """Load ``<model_dir>/{config.yaml, units/, model.pth, tokenizer.json}`` written by ``train-tokenizer``."""
        import json

        model_dir = Path(model_dir)
        cfg = read_tokenizer_config(model_dir)
        dev = pick_device(device)
        units = TextTokenizer(model_dir / UNITS_SUBDIR)
        model, tap = build_tokenizer_model(module_config(cfg.asr, cfg.tokenizer), units.token_list)
        load_weights(model, model_dir / WEIGHTS_FILE)
        model.to(dev).eval()
        info = json.loads((model_dir / INFO_FILE).read_text(encoding="utf-8"))
        return cls(model, tap, cfg, info, dev)

    # -- what the tokens are -------------------------------------------------------------------------------------
    @property
    def token_rate_hz(self) -> float:
        return float(self.info["token_rate_hz"])

    @property
    def codebook_size(self) -> int:
        return int(self.info["codebook_size"])

    @property
    def sample_rate(self) -> int:
        return int(self.cfg.features.fbank.sample_rate)

    # -- features -> tokens --------------------------------------------------------------------------------------
    @torch.inference_mode()
    def quantize(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens of a padded batch of fbank ``feats`` (B, T, 80) with ``lengths`` (B,).

        Returns ``tokens`` (B, T') padded with -1 and ``token_lengths`` (B,); each row is what the utterance gives
        alone (near-ties re-encoded alone, see the module docstring).
        """
        feats, lengths = feats.to(self.device), lengths.to(self.device)
        if feats.shape[0] == 1:
            feats = feats[:, : int(lengths[0])]  # one utterance: exactly as alone, without padding
        tokens, token_lengths, close = self._raw(feats, lengths)
        if feats.shape[0] > 1:
            for b in torch.nonzero(close).flatten().tolist():
                n = int(lengths[b])
                alone, alone_len, _ = self._raw(feats[b : b + 1, :n], lengths[b : b + 1])
                tokens[b] = PAD_TOKEN
                tokens[b, : int(alone_len[0])] = alone[0, : int(alone_len[0])]
                self.fallbacks += 1
        return tokens.cpu(), token_lengths.cpu()

    def _raw(self, feats: torch.Tensor, lengths: torch.Tensor):
        """``(tokens (B, T'), lengths (B,), near_tie (B,) bool)`` of one encoder pass over the batch."""
        indices, token_lengths, states = encode_tokens(self.model, self.tap, feats, lengths)
        margins = decision_margins(self.model.quantizer, self.tap.kind, states, indices)
        close = (margins < self.tie_margin).any(-1)
        return indices.clone(), token_lengths, close

    def encode_features(self, feats: list[torch.Tensor]) -> list[list[int]]:
        """Tokens of each (T, 80) feature matrix, batched by length (``extract.batch_frames`` frames a batch)."""
        self._check_lengths([f.shape[0] for f in feats], [str(i) for i in range(len(feats))])
        items = [{"utt": str(i), "speech": f} for i, f in enumerate(feats)]
        out: dict[int, list[int]] = {}
        for batch in make_loader(ItemsDataset(items, "speech"), self.batch_frames, collate=collate_asr):
            tokens, lengths = self.quantize(batch["speech"], batch["speech_lengths"])
            out.update({int(u): tokens[b, : int(lengths[b])].tolist() for b, u in enumerate(batch.utts)})
        return [out[i] for i in range(len(feats))]

    def encode(self, wave: np.ndarray | torch.Tensor, sample_rate: int) -> list[int]:
        """Tokens of one mono waveform (N,) at any ``sample_rate``."""
        return self.encode_batch([wave], sample_rate)[0]

    def encode_batch(self, waves: list[np.ndarray | torch.Tensor], sample_rate: int) -> list[list[int]]:
        """Tokens of mono waveforms (N_i,) at ``sample_rate`` (resampled to the model's rate), batched."""
        return self.encode_features([self._wave_features(w, sample_rate) for w in waves])

    def encode_files(self, paths: list[str | Path], failed: dict[str, str] | None = None) -> list[list[int] | None]:
        """Tokens of audio files of any sample rate and channel count.

        A file that cannot be used raises InputFileError; with a ``failed`` dict, the other files are still done,
        the bad one gets None and ``failed[path] = reason`` (as ``transcribe``).
        """
        feats: dict[int, torch.Tensor] = {}
        for k, path in enumerate(paths):
            try:
                f = audio_features(path, self.cfg.features)
                self._check_lengths([f.shape[0]], [str(path)])
                feats[k] = f
            except CstkError as err:
                if failed is None:
                    raise
                failed[str(path)] = str(err)
        keys = sorted(feats)
        tokens = dict(zip(keys, self.encode_features([feats[k] for k in keys]))) if keys else {}
        return [tokens.get(k) for k in range(len(paths))]

    def _wave_features(self, wave, sample_rate: int) -> torch.Tensor:
        samples = torch.as_tensor(wave, dtype=torch.float32).flatten()
        if sample_rate != self.sample_rate:
            import torchaudio

            samples = torchaudio.functional.resample(samples, int(sample_rate), self.sample_rate)
        return features_of(samples.numpy(), self.cfg.features)

    def _check_lengths(self, lengths: list[int], names: list[str]) -> None:
        """InputFileError naming the first input too short for the subsampling."""
        from espnet.nets.pytorch_backend.transformer.subsampling import check_short_utt

        for n, name in zip(lengths, names):
            short, limit = check_short_utt(self.model.encoder.embed, int(n))
            if short:
                raise InputFileError(name, f"{n} feature frames: too short for the tokenizer (needs {limit}+)")


def decision_margins(quantizer, kind: str, states: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """(B, T') how far each frame is from changing its code (inf on padding).

    VQ: distance to the second-nearest code minus distance to the nearest (float64, in the codebook's space; 0 when
    that nearest code is not the one the quantizer chose). FSQ: the smallest distance of a bounded value to a
    rounding boundary.
    """
    valid = indices >= 0
    margins = torch.full(indices.shape, float("inf"), dtype=torch.float64, device=states.device)
    if not valid.any():
        return margins
    x = quantizer.project_in(states[valid]).double()  # (N, d)
    if kind == "vq":
        codebook = quantizer.codebook.double()  # (C, d)
        if getattr(quantizer, "use_cosine_sim", False):
            x = torch.nn.functional.normalize(x, dim=-1)
        dist = torch.cdist(x, codebook)  # (N, C)
        two = dist.topk(2, dim=-1, largest=False)
        margin = two.values[:, 1] - two.values[:, 0]
        margin = torch.where(two.indices[:, 0] == indices[valid], margin, torch.zeros_like(margin))
    else:
        levels = quantizer._levels.double()
        half_l = (levels - 1) * (1 + 1e-3) / 2  # FSQ.bound's own eps
        offset = torch.where(quantizer._levels % 2 == 0, 0.5, 0.0).double()
        bounded = torch.tanh(x + torch.atanh(offset / half_l)) * half_l - offset
        margin = (0.5 - (bounded - bounded.round()).abs()).min(-1).values
    margins[valid] = margin
    return margins


@dataclass
class ExtractStats:
    """One data directory tokenized (``wall_seconds``: of the whole call, which may have done several)."""

    utterances: int = 0
    tokens: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    fallbacks: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def tokenize_dir(
    model_dir: str | Path,
    data_dir: str | Path,
    out_file: str | Path | None = None,
    nj: int = 1,
    device: str = "auto",
    threads: int | None = None,
) -> ExtractStats:
    """Tokens of every utterance of ``data_dir/feats.scp`` into ``out_file`` (default ``data_dir/speech_tokens``,
    Kaldi text-like ``uttid t1 t2 ...``, written atomically), in ``nj`` processes (with ``device`` cuda: spread
    over the visible GPUs). An utterance whose features cannot be read is listed in ``failed`` and has no line.
    InputFileError when none can be tokenized.
    """
    return tokenize_dirs(model_dir, [data_dir], nj, device, threads, [out_file])[0]


def tokenize_dirs(
    model_dir: str | Path,
    data_dirs: list[str | Path],
    nj: int = 1,
    device: str = "auto",
    threads: int | None = None,
    out_files: list[str | Path | None] | None = None,
) -> list[ExtractStats]:
    """:func:`tokenize_dir` for several data directories with one set of ``nj`` processes (each loads the model
    once and takes every ``nj``-th utterance of each directory). Every directory is checked before any is done."""
    data_dirs = [Path(d) for d in data_dirs]
    out_files = [Path(o) if o else d / TOKENS_FILE for d, o in zip(data_dirs, out_files or [None] * len(data_dirs))]
    read_tokenizer_config(model_dir)
    tables = [asr_table(d, with_text=False) for d in data_dirs]
    for data_dir, table in zip(data_dirs, tables):
        if not len(table):
            raise InputFileError(data_dir / FEATS.file, f"no utterance to tokenize: {table.why_empty()}")
    start = time.perf_counter()
    parts = run_shards(_tokenize_shard, (str(model_dir), [str(d) for d in data_dirs]), nj, device, threads)
    wall = time.perf_counter() - start
    out = []
    merged = merge_shards(parts)
    for data_dir, table, out_file, (tokens, failed, fallbacks) in zip(data_dirs, tables, out_files, merged):
        failed = {**table.skipped, **failed}
        if not tokens:
            raise InputFileError(data_dir / FEATS.file, f"no utterance could be tokenized, e.g. {min(failed.items())}")
        write_kaldi_map(out_file, ((u, " ".join(map(str, t))) for u, t in tokens.items()))
        utt2dur = read_kaldi_map(data_dir / "utt2dur") if (data_dir / "utt2dur").is_file() else {}
        seconds = sum(float(utt2dur.get(u, 0.0)) for u in tokens)
        stats = ExtractStats(len(tokens), sum(map(len, tokens.values())), seconds, wall, fallbacks, failed)
        log.info(
            "tokenized %d utterances of %s (%d tokens, %.0f s of audio); %d re-encoded alone, %d failed -> %s",
            stats.utterances,
            data_dir,
            stats.tokens,
            seconds,
            fallbacks,
            len(failed),
            out_file,
        )
        out.append(stats)
    log.info("tokenized %d directories in %.1f s (%d processes)", len(data_dirs), wall, max(1, nj))
    return out


def _tokenize_shard(model_dir: str, data_dirs: list[str], job: int, nj: int, device: str):
    """Per data directory ``({utt: tokens}, {utt: reason}, re-encoded alone)`` of every ``nj``-th utterance from
    ``job`` (a job of :func:`cstoolkit.core.shards.run_shards`)."""
    tok = SpeechTokenizer.load(model_dir, device)
    return [_tokenize_part(tok, data_dir, job, nj) for data_dir in data_dirs]


def _tokenize_part(tok: SpeechTokenizer, data_dir: str, job: int, nj: int):
    table = asr_table(data_dir, with_text=False)
    if nj > 1:
        table.keep(lambda i: None if i % nj == job else "another job's")
    dim = int(tok.model_cfg.input_size)
    table.check_dim("speech", dim, "asr.input_size")
    failed: dict[str, str] = {}
    for utt, n in zip(table.utt_ids, table.lengths):
        try:
            tok._check_lengths([n], [utt])
        except InputFileError as err:
            failed[utt] = str(err)
    table.keep(lambda i: "too short" if table.utt_ids[i] in failed else None)
    dataset = UttDataset(table, {"speech": dim}, fatal=(FeatureDimError,), on_corrupt=_report_corrupt)
    tokens: dict[str, list[int]] = {}
    tok.fallbacks = 0
    for batch in make_loader(dataset, tok.batch_frames, collate=collate_asr):
        failed.update(batch.corrupt)
        if batch.empty:
            continue
        ids, lengths = tok.quantize(batch["speech"], batch["speech_lengths"])
        tokens.update({u: ids[b, : int(lengths[b])].tolist() for b, u in enumerate(batch.utts)})
    return tokens, failed, tok.fallbacks


def _report_corrupt(utt: str, reason: str) -> None:
    log.warning("corrupt features for %s: %s; no tokens", utt, reason)


def read_speech_tokens(path: str | Path) -> dict[str, list[int]]:
    """``uttid t1 t2 ...`` lines -> {uttid: [t1, t2, ...]}; InputFileError naming the line of a bad entry."""
    out: dict[str, list[int]] = {}
    for lineno, (utt, value) in enumerate(read_kaldi_map(path).items(), start=1):
        try:
            out[utt] = [int(t) for t in value.split()]
        except ValueError:
            raise InputFileError(path, f"expected integer tokens for {utt}", line=lineno) from None
    return out


__all__ = ["ExtractStats", "SpeechTokenizer", "read_speech_tokens", "tokenize_dir", "tokenize_dirs"]
