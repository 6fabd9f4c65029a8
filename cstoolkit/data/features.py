"""Stage 1: fbank (ASR) and HiFi-GAN log-mel (TTS) features as kaldiio ark/scp, plus global CMVN statistics.

Per split directory this writes ``feats.scp`` (80-dim Kaldi fbank, 16 kHz, frames x dims), ``mel.scp`` (80-bin
log-mel at 22.05 kHz with HiFi-GAN "universal" settings, frames x bins), ``utt2num_frames`` and ``feats_shape`` /
``mel_shape`` (ESPnet shape files: ``<uttid> <frames>,<dims>``), the ark files under ``feats/``, and
``features.json`` (a fingerprint of inputs and settings, written last: a split whose fingerprint matches is
skipped). The train split also gets ``feats_stats.npz`` with ``count``, ``sum``, ``sum_square`` as loaded by
``espnet2.layers.global_mvn.GlobalMVN``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from cstoolkit.data.atomic import atomic_path, atomic_write_lines, atomic_write_text, remove_stale_temporaries
from cstoolkit.data.audio import load_audio, resample
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import CstkError, InputFileError

log = logging.getLogger(__name__)
STATS_FILE = "feats_stats.npz"
FINGERPRINT_FILE = "features.json"


def fbank(samples: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """Kaldi-compatible log-mel filterbank (torchaudio.compliance.kaldi.fbank): ``(frames, num_mel_bins)``."""
    import torch
    import torchaudio.compliance.kaldi as kaldi

    wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32) * cfg["scale"]).unsqueeze(0)
    feats = kaldi.fbank(
        wave, num_mel_bins=cfg["num_mel_bins"], frame_length=cfg["frame_length"], frame_shift=cfg["frame_shift"],
        dither=cfg["dither"], window_type=cfg["window_type"], energy_floor=cfg["energy_floor"],
        sample_frequency=cfg["sample_rate"],
    )  # fmt: skip
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
        wave, cfg["n_fft"], hop_length=cfg["hop_length"], win_length=cfg["win_length"],
        window=torch.hann_window(cfg["win_length"]), center=cfg["center"], pad_mode="reflect", normalized=False,
        onesided=True, return_complex=True,
    )  # fmt: skip
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


def extract_chunk(
    index: int, items: list[tuple[str, str]], out_dir: str, cfg: dict[str, Any], with_stats: bool
) -> dict[str, Any]:
    """Worker: fbank + mel for one chunk of ``(uttid, audio_path)``, streamed to ``fbank.<i>.ark`` / ``mel.<i>.ark``."""
    import torch

    torch.set_num_threads(1)
    fb_cfg, mel_cfg = cfg["fbank"], cfg["mel"]
    dims = fb_cfg["num_mel_bins"]
    stats = {"count": 0, "sum": np.zeros(dims, np.float64), "sum_square": np.zeros(dims, np.float64)}
    out = Path(out_dir)
    with ArkWriter(out, f"fbank.{index}") as feats, ArkWriter(out, f"mel.{index}") as mels:
        for uttid, path in items:
            try:
                samples, _ = load_audio(path, fb_cfg["sample_rate"])
            except CstkError as err:  # re-raised with one argument so that it crosses the process boundary intact
                raise CstkError(f"{uttid}: {err}") from None
            fb = fbank(samples, fb_cfg)
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


def fingerprint(split_dir: Path, cfg: dict[str, Any]) -> str:
    """Hash of the split's wav.scp (and the audio files' sizes/mtimes) and the feature settings."""
    digest = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode())
    for uttid, path in sorted(read_kaldi_file(split_dir / "wav.scp").items()):
        st = os.stat(path) if os.path.exists(path) else None
        digest.update(f"{uttid} {path} {st.st_size if st else -1} {st.st_mtime_ns if st else -1}\n".encode())
    return digest.hexdigest()


def compute_split(
    split_dir: str | Path, cfg: dict[str, Any], num_jobs: int, with_stats: bool, pool: Executor | None = None
) -> bool:
    """Compute features of one split directory; return False when its fingerprint shows it is already done.

    ``pool`` (optional) is a process pool shared by several splits; without it one is made when ``num_jobs > 1``.
    """
    split_dir = Path(split_dir).resolve()
    if not (split_dir / "wav.scp").is_file():
        raise InputFileError(split_dir / "wav.scp", "missing: run the prepare stage first")
    key = fingerprint(split_dir, cfg)
    fp_file = split_dir / FINGERPRINT_FILE
    if fp_file.is_file() and json.loads(fp_file.read_text()).get("fingerprint") == key:
        log.info("%s: features up to date, skipped", split_dir)
        return False
    fp_file.unlink(missing_ok=True)  # the split no longer looks finished until this run ends
    items = sorted(read_kaldi_file(split_dir / "wav.scp").items())
    n_chunks = max(1, min(len(items), num_jobs * int(cfg["chunks_per_job"])))
    chunks = [items[i::n_chunks] for i in range(n_chunks)]
    ark_dir = split_dir / "feats"
    ark_dir.mkdir(exist_ok=True)
    remove_stale_temporaries(ark_dir)  # half-written arks of a killed run
    for stale in ark_dir.glob("*.ark"):
        if int(stale.name.split(".")[1]) >= n_chunks:
            stale.unlink()
    results = []
    bar = tqdm(total=len(items), desc=f"features {split_dir.name}", unit="utt", leave=False, mininterval=1.0)
    if num_jobs <= 1 and pool is None:
        for i, chunk in enumerate(chunks):
            results.append(extract_chunk(i, chunk, str(ark_dir), cfg, with_stats))
            bar.update(results[-1]["done"])
    else:
        with ExitStack() as stack:
            if pool is None:
                pool = stack.enter_context(make_pool(num_jobs))
            futures = [pool.submit(extract_chunk, i, c, str(ark_dir), cfg, with_stats) for i, c in enumerate(chunks)]
            for future in as_completed(futures):
                results.append(future.result())
                bar.update(results[-1]["done"])
    bar.close()
    merged = {k: sorted(line for r in results for line in r[k]) for k in ("feats", "mel", "feats_shape", "mel_shape")}
    for name in ("feats", "mel"):
        atomic_write_lines(split_dir / f"{name}.scp", merged[name])
    atomic_write_lines(split_dir / "feats_shape", merged["feats_shape"])
    atomic_write_lines(split_dir / "mel_shape", merged["mel_shape"])
    atomic_write_lines(split_dir / "utt2num_frames", [line.split(",")[0] for line in merged["feats_shape"]])
    if with_stats:
        write_stats(split_dir / STATS_FILE, [r["stats"] for r in results])
    atomic_write_text(fp_file, json.dumps({"fingerprint": key, "utterances": len(items)}) + "\n")
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
    data_dir = Path(data_dir)
    present = [s for s in cfg["splits"] if (data_dir / s / "wav.scp").is_file()]
    if cfg["cmvn_split"] not in present:
        raise InputFileError(data_dir / cfg["cmvn_split"], "split for the CMVN statistics not found")
    done = []
    with ExitStack() as stack:
        pool = stack.enter_context(make_pool(num_jobs)) if num_jobs > 1 else None
        for split in present:
            if compute_split(data_dir / split, cfg, num_jobs, with_stats=split == cfg["cmvn_split"], pool=pool):
                done.append(split)
    return done


def make_pool(num_jobs: int) -> ProcessPoolExecutor:
    """Worker processes for feature extraction. torch is imported first, so forked workers do not import it again."""
    import torch  # noqa: F401
    import torchaudio.compliance.kaldi  # noqa: F401

    return ProcessPoolExecutor(max_workers=num_jobs)
