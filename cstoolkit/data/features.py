"""Stage 1: ASR input features and HiFi-GAN log-mel (TTS) as kaldiio ark/scp, plus global CMVN statistics.

Per split directory this writes ``feats.scp`` (the CS-ASR's input, :mod:`cstoolkit.data.asr_input`: 80-dim Kaldi
fbank at 16 kHz by default, or Whisper encoder states with ``features.asr_input=whisper``; frames x dims),
``mel.scp`` (80-bin log-mel at 22.05 kHz with HiFi-GAN "universal" settings, frames x bins), ``utt2num_frames``
and ``feats_shape`` / ``mel_shape`` (ESPnet shape files: ``<uttid> <frames>,<dims>``), the ark files under
``feats/``, and ``features.json`` (a fingerprint of inputs and settings, written last: a split whose fingerprint
matches is skipped). The train split also gets ``feats_stats.npz`` with ``count``, ``sum``, ``sum_square`` as loaded by
``espnet2.layers.global_mvn.GlobalMVN``.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from cstoolkit.config import FLAG, Rule, check_config, choice, number, whole
from cstoolkit.core import stamps
from cstoolkit.core.atomic import atomic_path, atomic_write_lines, remove_stale_temporaries
from cstoolkit.core.runtime import set_torch_threads
from cstoolkit.core.shards import worker_pool
from cstoolkit.data.audio import load_audio, resample
from cstoolkit.data.kaldi_dir import read_kaldi_entries
from cstoolkit.data.validate import FEATURE_FILES, FINGERPRINT_FILE, STATS_FILE
from cstoolkit.errors import ConfigError, CstkError, InputFileError
from cstoolkit.progress import progress_bar

log = logging.getLogger(__name__)
#: every output of a split next to its fingerprint; removed together when a split is (re)computed
OUTPUT_FILES = (*FEATURE_FILES, STATS_FILE)
#: allowed values of the ``features`` config group
RULES: dict[str, Rule] = {
    "fbank.sample_rate": whole(1),
    "fbank.num_mel_bins": whole(1),
    "fbank.frame_length": number(0, low_open=True),
    "fbank.frame_shift": number(0, low_open=True),
    "fbank.dither": number(0),
    "fbank.window_type": choice("povey", "hamming", "hanning", "rectangular", "blackman"),
    "fbank.energy_floor": number(0),
    "fbank.scale": number(0, low_open=True),
    "mel.sample_rate": whole(1),
    "mel.n_fft": whole(2),
    "mel.hop_length": whole(1),
    "mel.win_length": whole(1),
    "mel.n_mels": whole(1),
    "mel.fmin": number(0),
    "mel.fmax": number(0, low_open=True),
    "mel.clamp": number(0, low_open=True),
    "mel.magnitude_eps": number(0),
    "mel.center": FLAG,
    "asr_input": choice("fbank", "whisper"),
    "whisper.pool": whole(1),
    "whisper.device": choice("cpu", "cuda"),
    "whisper.compute_type": Rule(str),
    "cmvn_split": Rule(str),
    "chunks_per_job": whole(1),
}


def check_features_config(cfg: dict[str, Any]) -> None:
    """Raise ConfigError for a features setting outside its allowed values (one line naming the key)."""
    check_config(cfg, RULES, "features")
    if cfg["mel"]["win_length"] > cfg["mel"]["n_fft"]:
        raise ConfigError(
            f"bad configuration value features.mel.win_length={cfg['mel']['win_length']}: "
            f"expected at most features.mel.n_fft ({cfg['mel']['n_fft']})"
        )
    if not cfg["mel"]["fmin"] < cfg["mel"]["fmax"] <= cfg["mel"]["sample_rate"] / 2:
        raise ConfigError(
            f"bad configuration value features.mel.fmax={cfg['mel']['fmax']}: expected above "
            "features.mel.fmin and at most half of features.mel.sample_rate"
        )
    if cfg.get("asr_input") == "whisper" and cfg["fbank"]["sample_rate"] != 16000:
        raise ConfigError(
            f"bad configuration value features.fbank.sample_rate={cfg['fbank']['sample_rate']}: "
            "features.asr_input=whisper reads audio at 16000 Hz"
        )
    if not isinstance(cfg.get("splits"), list) or not all(isinstance(s, str) for s in cfg["splits"]):
        raise ConfigError(f"bad configuration value features.splits={cfg.get('splits')!r}: expected a list of names")


def fbank(samples: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """Kaldi-compatible log-mel filterbank (torchaudio.compliance.kaldi.fbank): ``(frames, num_mel_bins)``."""
    import torch
    import torchaudio.compliance.kaldi as kaldi

    wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32) * cfg["scale"]).unsqueeze(0)
    feats = kaldi.fbank(
        wave,
        num_mel_bins=cfg["num_mel_bins"],
        frame_length=cfg["frame_length"],
        frame_shift=cfg["frame_shift"],
        dither=cfg["dither"],
        window_type=cfg["window_type"],
        energy_floor=cfg["energy_floor"],
        sample_frequency=cfg["sample_rate"],
    )
    return feats.numpy().astype(np.float32)


def hifigan_mel(samples: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """HiFi-GAN's ``meldataset.mel_spectrogram``: reflect pad, magnitude STFT, slaney mel, log clamp.

    Returns ``(frames, n_mels)`` (frames first, like the fbank), float32.
    """
    import torch

    basis = _mel_basis(cfg["sample_rate"], cfg["n_fft"], cfg["n_mels"], cfg["fmin"], cfg["fmax"])
    pad = (cfg["n_fft"] - cfg["hop_length"]) // 2
    wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).view(1, 1, -1)
    wave = torch.nn.functional.pad(wave, (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(
        wave,
        cfg["n_fft"],
        hop_length=cfg["hop_length"],
        win_length=cfg["win_length"],
        window=torch.hann_window(cfg["win_length"]),
        center=cfg["center"],
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )
    magnitude = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + cfg["magnitude_eps"])
    mel = torch.log(torch.clamp(torch.matmul(basis, magnitude), min=cfg["clamp"]))
    return mel[0].T.contiguous().numpy().astype(np.float32)


@lru_cache(maxsize=4)
def _mel_basis(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float):
    """Slaney-scale, Slaney-normalised mel filters ``(n_mels, n_fft // 2 + 1)``: librosa's default, HiFi-GAN's."""
    import torchaudio.functional as AF

    return AF.melscale_fbanks(n_fft // 2 + 1, fmin, fmax, n_mels, sample_rate, norm="slaney", mel_scale="slaney").T


class ArkWriter:
    """Stream arrays into ``<name>.ark`` (kaldiio) under a temporary name; on success rename it and keep the scp
    lines, pointing at the final ark, in :attr:`lines`. Nothing is held in memory but the scp lines."""

    def __init__(self, out_dir: Path, name: str) -> None:
        self.final = out_dir / f"{name}.ark"
        self.lines: list[str] = []
        self.shapes: list[str] = []
        self._stack = ExitStack()

    def __enter__(self) -> ArkWriter:
        import kaldiio

        self._tmp = self._stack.enter_context(atomic_path(self.final))
        self._writer = kaldiio.WriteHelper(f"ark,scp:{self._tmp},{self._tmp}.scp")
        return self

    def __call__(self, uttid: str, array: np.ndarray) -> None:
        self._writer(uttid, array)
        self.shapes.append(f"{uttid} {array.shape[0]},{array.shape[1]}")

    def __exit__(self, *exc: object) -> None:
        self._writer.close()
        scp = Path(f"{self._tmp}.scp")
        if exc[0] is None:
            for line in scp.read_text(encoding="utf-8").splitlines():
                uttid, location = line.split(" ", 1)
                self.lines.append(f"{uttid} {self.final}:{location.rsplit(':', 1)[1]}")
        scp.unlink(missing_ok=True)
        self._stack.__exit__(*exc)  # renames the ark on success, removes it on error


def unusable_reason(samples: np.ndarray, cfg: dict[str, Any]) -> str | None:
    """Why ``samples`` (mono, at the fbank rate) cannot give features, or None when they can."""
    window = int(cfg["fbank"]["sample_rate"] * cfg["fbank"]["frame_length"] / 1000)
    if samples.size < window:
        seconds = samples.size / cfg["fbank"]["sample_rate"]
        return f"audio too short for one fbank frame ({seconds * 1000:.1f} ms < {cfg['fbank']['frame_length']:g} ms)"
    mel = cfg["mel"]
    mel_samples = round(samples.size * mel["sample_rate"] / cfg["fbank"]["sample_rate"])
    pad = (mel["n_fft"] - mel["hop_length"]) // 2
    if mel_samples <= pad or mel_samples + 2 * pad < mel["n_fft"]:
        return f"audio too short for one mel frame ({mel_samples} samples at {mel['sample_rate']} Hz)"
    return None


def extract_chunk(
    index: int, items: list[tuple[str, str, int]], out_dir: str, cfg: dict[str, Any], with_stats: bool, wav_scp: str
) -> dict[str, Any]:
    """Worker: ASR input + mel for one chunk of ``(uttid, audio_path, wav.scp line)``, streamed to ``fbank.<i>.ark`` /
    ``mel.<i>.ark``. Unusable audio raises a CstkError naming the wav.scp line, the utterance and the file."""
    from cstoolkit.data.asr_input import asr_features

    set_torch_threads(1)  # one thread per worker: the workers are the parallelism
    fb_cfg, mel_cfg = cfg["fbank"], cfg["mel"]
    stats: dict[str, Any] = {"count": 0, "sum": 0.0, "sum_square": 0.0}  # sums become (D,) arrays
    out = Path(out_dir)
    with ArkWriter(out, f"fbank.{index}") as feats, ArkWriter(out, f"mel.{index}") as mels:
        for uttid, path, line in items:
            try:
                samples, _ = load_audio(path, fb_cfg["sample_rate"])
                reason = unusable_reason(samples, cfg)
                if reason:
                    raise InputFileError(path, reason)
            except CstkError as err:  # one argument, so that it crosses the process boundary intact
                raise CstkError(str(InputFileError(wav_scp, f"{uttid}: {err}", line))) from None
            fb = asr_features(samples, cfg)
            feats(uttid, fb)
            mels(uttid, hifigan_mel(resample(samples, fb_cfg["sample_rate"], mel_cfg["sample_rate"]), mel_cfg))
            if with_stats:
                stats["count"] += fb.shape[0]
                stats["sum"] += fb.sum(axis=0, dtype=np.float64)
                stats["sum_square"] += np.square(fb, dtype=np.float64).sum(axis=0)
    return {
        "feats": feats.lines,
        "mel": mels.lines,
        "feats_shape": feats.shapes,
        "mel_shape": mels.shapes,
        "stats": stats,
        "done": len(items),
    }


def audio_files(wav_scp: Path) -> dict[str, str]:
    """``{uttid: audio path}`` of a wav.scp (what a fingerprint hashes the audio files of)."""
    return {uttid: path for uttid, (_, path) in read_kaldi_entries(wav_scp).items()}


#: settings that say which splits to compute, not how: a split's features do not depend on them
NOT_SHAPING = ("splits",)


def fingerprint(split_dir: Path, cfg: dict[str, Any]) -> str:
    """Hash of the split's wav.scp (and the audio files' sizes/mtimes) and the settings that shape its features
    (so adding a split to ``features.splits`` leaves the others up to date)."""
    shaping = {k: v for k, v in cfg.items() if k not in NOT_SHAPING}
    return stamps.fingerprint(shaping, files=audio_files(split_dir / "wav.scp"))


def is_up_to_date(split_dir: Path, key: str, with_stats: bool) -> bool:
    """True when the split's fingerprint is ``key`` and every output, ark files included, is still there."""
    needed = OUTPUT_FILES if with_stats else FEATURE_FILES
    if stamps.Stamp(split_dir / FINGERPRINT_FILE).matches(key, [split_dir / name for name in needed]) is None:
        return False
    try:
        scps = [read_kaldi_entries(split_dir / name) for name in ("feats.scp", "mel.scp")]
    except CstkError:
        return False
    arks = {value.rsplit(":", 1)[0] for table in scps for _, value in table.values()}
    return all(os.path.isfile(ark) for ark in arks)


def compute_split(
    split_dir: str | Path, cfg: dict[str, Any], num_jobs: int, with_stats: bool, pool: Executor | None = None
) -> bool:
    """Compute features of one split directory; return False when its fingerprint shows it is already done.

    ``pool`` (optional) is a process pool shared by several splits; without it one is made when ``num_jobs > 1``.
    Before any ark is rewritten, the fingerprint and every output listing the old arks are removed, so a failed or
    killed run never leaves a split that looks finished.
    """
    split_dir = Path(split_dir).resolve()
    wav_scp = split_dir / "wav.scp"
    if not wav_scp.is_file():
        raise InputFileError(wav_scp, "missing: run the prepare stage first")
    key = fingerprint(split_dir, cfg)
    if is_up_to_date(split_dir, key, with_stats):
        log.info("%s: features up to date, skipped", split_dir)
        return False
    stamp = stamps.Stamp(split_dir / FINGERPRINT_FILE)
    stamp.clear(*(split_dir / name for name in OUTPUT_FILES))  # the split stops looking finished
    items = sorted((uttid, path, line) for uttid, (line, path) in read_kaldi_entries(wav_scp).items())
    if not items:
        raise InputFileError(wav_scp, "no utterances: nothing to compute features from")
    n_chunks = max(1, min(len(items), num_jobs * int(cfg["chunks_per_job"])))
    chunks = [items[i::n_chunks] for i in range(n_chunks)]
    ark_dir = split_dir / "feats"
    ark_dir.mkdir(exist_ok=True)
    remove_stale_temporaries(ark_dir)  # half-written arks of a killed run
    for stale in ark_dir.glob("*.ark"):
        if int(stale.name.split(".")[1]) >= n_chunks:
            stale.unlink()
    results = []
    args = (str(ark_dir), cfg, with_stats, str(wav_scp))
    # as a context manager the bar is cleared on an error too, so the error message starts on its own line
    with progress_bar(
        total=len(items), desc=f"features {split_dir.name}", unit="utt", leave=False, mininterval=1.0
    ) as bar:
        if num_jobs <= 1 and pool is None:
            for i, chunk in enumerate(chunks):
                results.append(extract_chunk(i, chunk, *args))
                bar.update(results[-1]["done"])
        else:
            with ExitStack() as stack:
                if pool is None:
                    pool = stack.enter_context(make_pool(num_jobs, cfg))
                futures = [pool.submit(extract_chunk, i, c, *args) for i, c in enumerate(chunks)]
                try:
                    for future in as_completed(futures):
                        results.append(future.result())
                        bar.update(results[-1]["done"])
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
    merged = {k: sorted(line for r in results for line in r[k]) for k in ("feats", "mel", "feats_shape", "mel_shape")}
    for name in ("feats", "mel"):
        atomic_write_lines(split_dir / f"{name}.scp", merged[name])
    atomic_write_lines(split_dir / "feats_shape", merged["feats_shape"])
    atomic_write_lines(split_dir / "mel_shape", merged["mel_shape"])
    atomic_write_lines(split_dir / "utt2num_frames", [line.split(",")[0] for line in merged["feats_shape"]])
    if with_stats:
        write_stats(split_dir / STATS_FILE, [r["stats"] for r in results])
    stamp.write(key, utterances=len(items))
    return True


def write_stats(path: Path, parts: list[dict[str, Any]]) -> None:
    """Sum per-chunk statistics into ESPnet's GlobalMVN ``.npz`` (count, sum, sum_square)."""
    count = int(sum(p["count"] for p in parts))
    total = np.sum([p["sum"] for p in parts], axis=0)
    square = np.sum([p["sum_square"] for p in parts], axis=0)
    with atomic_path(path, suffix=".npz") as tmp, tmp.open("wb") as handle:
        np.savez(handle, count=np.int64(count), sum=total, sum_square=square)


def compute_features(data_dir: str | Path, features_cfg: DictConfig, num_jobs: int) -> list[str]:
    """Features for every split of ``features_cfg.splits`` present under ``data_dir``; CMVN from ``cmvn_split``.

    Returns the splits that were (re)computed.
    """
    cfg = OmegaConf.to_container(features_cfg, resolve=True)
    check_features_config(cfg)
    data_dir = Path(data_dir)
    present = [s for s in cfg["splits"] if (data_dir / s / "wav.scp").is_file()]
    if cfg["cmvn_split"] not in present:
        raise InputFileError(data_dir / cfg["cmvn_split"], "split for the CMVN statistics not found")
    done = []
    with ExitStack() as stack:
        pool = stack.enter_context(make_pool(num_jobs, cfg)) if num_jobs > 1 else None
        for split in present:
            if compute_split(data_dir / split, cfg, num_jobs, with_stats=split == cfg["cmvn_split"], pool=pool):
                done.append(split)
    return done


def make_pool(num_jobs: int, cfg: Any) -> ProcessPoolExecutor:
    """Worker processes for feature extraction. torch is imported first, so forked workers do not import it again.

    Whisper encoder states are made in spawned workers: CTranslate2's thread pool does not survive a fork, so a
    worker forked from a process that had loaded the encoder (a notebook, a test) would wait forever.
    """
    import multiprocessing

    import torch  # noqa: F401
    import torchaudio.compliance.kaldi  # noqa: F401

    spawn = cfg.get("asr_input") == "whisper"
    return worker_pool(num_jobs, mp_context=multiprocessing.get_context("spawn") if spawn else None)
