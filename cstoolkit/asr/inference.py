"""Using a trained model directory: decode a data directory to ``hyp.txt``, or transcribe audio files."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.asr.checks import check_decode_config, prepare_out_dir, read_model_config
from cstoolkit.asr.data import FEATS, asr_table, collate_asr
from cstoolkit.asr.decode import METHODS, DecodeStats, JointBeamSearch, decode_batch
from cstoolkit.asr.model import build_asr_model
from cstoolkit.core.atomic import atomic_write_json
from cstoolkit.core.modeldir import TOKENS_PATH, UNITS_SUBDIR, WEIGHTS_FILE, load_weights
from cstoolkit.core.runtime import pick_device
from cstoolkit.data.asr_input import asr_frame_seconds
from cstoolkit.data.kaldi_dir import read_kaldi_map, write_kaldi_map
from cstoolkit.data.loader import Batch, ItemsDataset, UttDataset, make_loader
from cstoolkit.data.matrices import FeatureDimError
from cstoolkit.errors import ConfigError, CstkError, InputFileError
from cstoolkit.progress import progress_bar, progress_write
from cstoolkit.text.tokens import TextTokenizer

log = logging.getLogger(__name__)


@dataclass
class AsrBundle:
    """A loaded model directory: the ESPnet model (eval mode), its tokenizer and its composed config."""

    model: torch.nn.Module
    tokenizer: TextTokenizer
    cfg: DictConfig
    device: torch.device


def load_asr(model_dir: str | Path, device: str = "auto", weights: str = WEIGHTS_FILE) -> AsrBundle:
    """Load ``<model_dir>/{config.yaml, units/, model.pth}`` written by the training stage."""
    model_dir = Path(model_dir)
    cfg = read_model_config(model_dir, weights)
    dev = pick_device(device)
    tokenizer = TextTokenizer(model_dir / UNITS_SUBDIR)
    model = build_asr_model(cfg.asr, tokenizer.token_list, stats_file=None)

    def units_of_another_run(state: dict) -> InputFileError | None:
        vocab = state.get("ctc.ctc_lo.weight")
        if vocab is None or vocab.shape[0] == len(tokenizer):
            return None
        return InputFileError(
            model_dir / TOKENS_PATH,
            f"{len(tokenizer)} tokens, but {weights} was trained with {vocab.shape[0]}: "
            f"{UNITS_SUBDIR}/ does not match {weights} (units of another run?)",
        )

    load_weights(model, model_dir / weights, units_of_another_run)
    model.to(dev).eval()
    return AsrBundle(model, tokenizer, cfg, dev)


def decode_dir(
    bundle: AsrBundle,
    data_dir: str | Path,
    out_dir: str | Path,
    method: str,
    decode_cfg: DictConfig,
) -> DecodeStats:
    """Decode every utterance of ``data_dir/feats.scp`` into ``out_dir/hyp.txt`` (Kaldi ``utt text``).

    Encoder batches hold up to ``decode_cfg.batch_frames`` padded frames. An utterance whose features cannot be
    loaded gets an empty hypothesis (scored as deletions) and is listed in ``decode.json``, which also records the
    method, its settings and the real-time factor (decoding wall time / audio duration of the decoded utterances,
    features already computed). InputFileError when no utterance can be decoded: nothing is written then.
    Outputs of an earlier run in ``out_dir`` (hypotheses, scores) are deleted first.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown decoding method {method!r}; choose one of {', '.join(METHODS)}")
    check_decode_config(decode_cfg)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    table = asr_table(data_dir, with_text=False)
    scp = data_dir / FEATS.file
    if not len(table):
        raise InputFileError(scp, f"no utterance to decode: {table.why_empty()}")
    dim = int(bundle.cfg.asr.input_size)
    table.check_dim("speech", dim, "asr.input_size")
    prepare_out_dir(out_dir)
    frame_s = asr_frame_seconds(bundle.cfg.features)
    durations = dict(zip(table.utt_ids, _durations(data_dir, table.utt_ids, table.lengths, frame_s)))
    beam = JointBeamSearch(bundle.model, bundle.tokenizer.token_list, decode_cfg) if method == "beam" else None
    dataset = UttDataset(table, {"speech": dim}, fatal=(FeatureDimError,), on_corrupt=_report_corrupt)
    hyps: dict[str, str] = {}
    corrupt: dict[str, str] = {}
    start = time.perf_counter()
    with torch.inference_mode(), progress_bar(total=len(table), desc=f"decode {method}", unit="utt") as bar:
        try:
            for batch in make_loader(dataset, int(decode_cfg.batch_frames), collate=collate_asr):
                corrupt.update(batch.corrupt)
                hyps.update(dict.fromkeys(batch.corrupt, ""))
                if not batch.empty:
                    hyps.update(_hypotheses(bundle, batch, method, beam))
                bar.update(batch.size + len(batch.corrupt))
        except FeatureDimError as err:
            raise InputFileError(scp, f"{err} (asr.input_size)") from None
    decoded = [utt for utt in hyps if utt not in corrupt]
    if not decoded:
        raise InputFileError(
            scp, f"no utterance could be decoded: all {len(corrupt)} unreadable, e.g. {min(corrupt.items())}"
        )
    stats = DecodeStats(method, len(decoded), float(sum(durations[u] for u in decoded)), time.perf_counter() - start)
    write_kaldi_map(out_dir / "hyp.txt", hyps.items())
    atomic_write_json(
        out_dir / "decode.json",
        {
            "method": method,
            "settings": OmegaConf.to_container(decode_cfg, resolve=True),
            "utterances": stats.utterances,
            "audio_seconds": round(stats.audio_seconds, 3),
            "wall_seconds": round(stats.wall_seconds, 3),
            "rtf": round(stats.rtf, 5) if stats.audio_seconds > 0 else None,
            "device": str(bundle.device),
            "threads": torch.get_num_threads(),
            "skipped": {**table.skipped, **corrupt},
        },
    )
    log.info(
        "decoded %d utterances (%s; %d unreadable) in %.1f s: RTF %.4f -> %s",
        stats.utterances,
        method,
        len(corrupt),
        stats.wall_seconds,
        stats.rtf,
        out_dir / "hyp.txt",
    )
    return stats


def _report_corrupt(utt: str, reason: str) -> None:
    progress_write(f"corrupt features for {utt}: {reason}; empty hypothesis")


def _hypotheses(bundle: AsrBundle, batch: Batch, method: str, beam: JointBeamSearch | None) -> dict[str, str]:
    """Utterance id -> decoded text for a batch of ``speech (B, T, D)``."""
    speech, lengths = batch["speech"].to(bundle.device), batch["speech_lengths"].to(bundle.device)
    ids = decode_batch(bundle.model, speech, lengths, method, beam)
    return {utt: bundle.tokenizer.decode(t) for utt, t in zip(batch.utts, ids)}


def _durations(data_dir: Path, utts: list[str], frames: list[int], frame_s: float) -> list[float]:
    """Seconds per utterance from ``utt2dur`` when present, else frame count x frame shift."""
    utt2dur = read_kaldi_map(data_dir / "utt2dur") if (data_dir / "utt2dur").is_file() else {}
    out = []
    for utt, n in zip(utts, frames):
        try:
            out.append(float(utt2dur[utt]))
        except (KeyError, ValueError):
            out.append(n * frame_s)
    return out


def features_of(samples: np.ndarray, features_cfg: DictConfig) -> torch.Tensor:
    """(T, D) ASR input (fbank or Whisper encoder states, ``features.asr_input``) of a mono float signal at the
    ASR sample rate, by the features stage's code."""
    from cstoolkit.data.asr_input import asr_features

    cfg = OmegaConf.to_container(features_cfg, resolve=True)
    return torch.from_numpy(asr_features(samples, cfg, threads=2))


def transcribe(
    audio: list[str | Path] | str | Path,
    model_dir: str | Path | AsrBundle,
    method: str = "beam",
    device: str = "auto",
    decode_overrides: dict | None = None,
    failed: dict[str, str] | None = None,
) -> list[str | None]:
    """Transcribe audio files of any sample rate and channel count (resampled to the model's rate, mono).

    The model's own decoding settings (``asr.decode`` of its config.yaml) are used, with ``decode_overrides`` on top.
    A file that cannot be used raises InputFileError; when a ``failed`` dict is given instead, the other files are
    still transcribed, the bad one gets None in the result and ``failed[path] = reason``.

    >>> transcribe(["a.wav", "b.flac"], "exp/asr")          # doctest: +SKIP
    ['我今天去 shopping mall 买东西', ...]
    """
    bundle = model_dir if isinstance(model_dir, AsrBundle) else load_asr(model_dir, device)
    paths = [audio] if isinstance(audio, (str, Path)) else list(audio)
    features_cfg = bundle.cfg.features
    decode_cfg = OmegaConf.merge(bundle.cfg.asr.decode, decode_overrides or {})
    check_decode_config(decode_cfg)
    if method not in METHODS:
        raise ConfigError(f"unknown decoding method {method!r}; choose one of {', '.join(METHODS)}")
    beam = JointBeamSearch(bundle.model, bundle.tokenizer.token_list, decode_cfg) if method == "beam" else None
    items = []
    for k, path in enumerate(paths):
        try:
            items.append({"utt": str(k), "speech": audio_features(path, features_cfg)})
        except CstkError as err:
            if failed is None:
                raise
            failed[str(path)] = str(err)
    results: dict[int, str] = {}
    with torch.inference_mode():
        for batch in make_loader(ItemsDataset(items, "speech"), int(decode_cfg.batch_frames), collate=collate_asr):
            results.update({int(k): text for k, text in _hypotheses(bundle, batch, method, beam).items()})
    return [results.get(i) for i in range(len(paths))]


def audio_features(path: str | Path, features_cfg: DictConfig) -> torch.Tensor:
    """(T, D) ASR input of an audio file, resampled to the model's rate; InputFileError if it is unusable."""
    from cstoolkit.data.audio import load_audio

    if Path(path).is_dir():
        raise InputFileError(path, "is a folder, not an audio file")
    fbank_cfg = features_cfg.fbank
    samples, _ = load_audio(path, target_sr=int(fbank_cfg.sample_rate))
    if not np.isfinite(samples).all():
        raise InputFileError(path, "audio holds NaN or infinite samples")
    if samples.size < int(fbank_cfg.sample_rate * fbank_cfg.frame_length / 1000):
        raise InputFileError(path, "audio shorter than one analysis frame")
    return features_of(samples, features_cfg)
