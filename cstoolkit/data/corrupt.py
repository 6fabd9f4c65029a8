"""Named test conditions for robustness evaluation: a Kaldi data directory rewritten with corrupted audio.

:data:`CONDITIONS` is the one registry of conditions (clean, white/pink noise at 30/20/10 dB, babble of other
speakers at 15 dB, speed 0.9/1.1, reverberation, 8 kHz telephone band). :func:`corrupt_data_dir` writes, for one
condition, ``out_dir/wav/<uttid>.wav`` and a new data directory in ``out_dir`` with the same utterances
(transcripts, speakers, language tags, segments; ``wav.scp``, ``utt2dur`` and ``manifest.jsonl`` rewritten), then
optionally the features that ``cstk decode-asr --data-dir`` reads (``feats.scp``, ``utt2num_frames``; the model
brings its own CMVN), and last ``corrupt.json``, the stamp of a finished run. The data directory appears as a whole
(cstoolkit.core.atomic.atomic_dir); a killed run leaves no ``corrupt.json``, and a re-run with the same inputs and
settings finds the stamp and skips the work.

Every random draw comes from a generator seeded by ``(seed, condition, utterance id)``: the same command gives the
same audio, whatever ``num_jobs`` is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from cstoolkit.core.atomic import atomic_dir, atomic_write_lines, atomic_write_text
from cstoolkit.data.audio import load_audio, write_audio
from cstoolkit.data.augment import (
    Augmenter,
    active_power,
    add_noise,
    coloured_noise,
    fit_length,
    reverberate,
    room_impulse_response,
    speed_perturb,
    stable_seed,
    telephone_band,
)
from cstoolkit.data.kaldi_dir import MANIFEST_FILE, SEGMENTS_FILE, read_kaldi_entries
from cstoolkit.data.parallel import parallel_map
from cstoolkit.data.validate import FEATURE_FILES, FINGERPRINT_FILE, STATS_FILE
from cstoolkit.errors import ConfigError, CstkError, InputFileError

log = logging.getLogger(__name__)

#: written last into a finished output directory
STAMP_FILE = "corrupt.json"
#: written first: marks a folder as made by this module (and so safe to replace), finished or not
MARKER_FILE = ".cstk_corrupt"
#: peak level a corrupted signal is scaled down to when it would clip (the SNR is kept)
MAX_PEAK = 0.99
#: babble: how many other-speaker utterances are summed (inclusive range)
BABBLE_TALKERS = (3, 5)
#: files of the source directory written anew for the corrupted audio
_REWRITTEN = {"wav.scp", "utt2dur", "spk2utt", MANIFEST_FILE}
#: files of the source directory that do not describe the corrupted audio (features are recomputed when asked)
_NOT_CARRIED = {*FEATURE_FILES, FINGERPRINT_FILE, STATS_FILE, STAMP_FILE, "reco2dur", "prepare_report.json"}


@dataclass(frozen=True)
class Context:
    """What a condition may use besides the waveform: the rate, the generator and, for babble, other talkers."""

    sr: int
    rng: np.random.Generator
    babble: list[np.ndarray] = field(default_factory=list)


def _clean(wav: np.ndarray, ctx: Context) -> np.ndarray:
    return wav


def _noise(wav: np.ndarray, ctx: Context, kind: str, snr_db: float) -> np.ndarray:
    return add_noise(wav, coloured_noise(kind, wav.size, ctx.rng), snr_db)


def _babble(wav: np.ndarray, ctx: Context, snr_db: float) -> np.ndarray:
    """Sum of the other talkers, each at equal active level and from a random offset, added at ``snr_db``."""
    mix = np.zeros(wav.size, np.float64)
    for other in ctx.babble:
        power = active_power(other)
        if power > 0:
            mix += fit_length(other, wav.size, ctx.rng) / np.sqrt(power)
    if not mix.any():
        raise ValueError("babble sources are silent")
    return add_noise(wav, mix.astype(np.float32), snr_db)


def _speed(wav: np.ndarray, ctx: Context, factor: float) -> np.ndarray:
    return speed_perturb(wav, ctx.sr, factor)


def _reverb(wav: np.ndarray, ctx: Context, rt60: float) -> np.ndarray:
    return reverberate(wav, room_impulse_response(ctx.sr, rt60, ctx.rng))


def _telephone(wav: np.ndarray, ctx: Context) -> np.ndarray:
    return telephone_band(wav, ctx.sr)


@dataclass(frozen=True)
class Condition:
    """A named corruption: ``apply(wav, ctx)`` returns the corrupted waveform at the same rate."""

    name: str
    description: str
    apply: Callable[[np.ndarray, Context], np.ndarray]
    babble: bool = False  # needs utterances of other speakers of the same data directory
    settings: dict[str, Any] | None = None  # what shapes ``apply`` beyond the name (part of the fingerprint)


def _registry(*conditions: Condition) -> dict[str, Condition]:
    return {c.name: c for c in conditions}


#: every named condition, in the order of a robustness table
CONDITIONS: dict[str, Condition] = _registry(
    Condition("clean", "the audio as it is (re-encoded as 16-bit wav)", _clean),
    *(
        Condition(f"{kind}_{snr}db", f"{kind} noise at {snr} dB SNR", partial(_noise, kind=kind, snr_db=float(snr)))
        for kind in ("white", "pink")
        for snr in (30, 20, 10)
    ),
    Condition("babble_15db", "3-5 utterances of other speakers at 15 dB SNR", partial(_babble, snr_db=15.0), True),
    Condition("speed_0.9", "speed perturbation 0.9 (slower, lower pitch)", partial(_speed, factor=0.9)),
    Condition("speed_1.1", "speed perturbation 1.1 (faster, higher pitch)", partial(_speed, factor=1.1)),
    Condition("reverb", "synthetic room impulse response, RT60 0.5 s", partial(_reverb, rt60=0.5)),
    Condition("telephone_8k", "8 kHz telephone band, 300-3400 Hz, back at the input rate", _telephone),
)


def _augmented(wav: np.ndarray, ctx: Context, augmenter: Augmenter) -> np.ndarray:
    return augmenter.apply(wav, augmenter.draw(ctx.rng), ctx.rng)


def augmentation_copy(augmenter: Augmenter, copy: int) -> Condition:
    """Training augmentation as a condition: copy ``copy`` (1, 2, ...) of a data directory, each utterance
    augmented by ``augmenter`` with its own draw (speed, room, noise, gain), different for every copy."""
    return Condition(f"augment{copy}", f"training augmentation, copy {copy}", partial(_augmented, augmenter=augmenter),
                     settings=augmenter.settings())  # fmt: skip


def condition(name: str) -> Condition:
    """The condition called ``name``; ConfigError listing the valid names otherwise."""
    if name not in CONDITIONS:
        raise ConfigError(f"unknown condition {name!r}; choose one of: {', '.join(CONDITIONS)} (or all)")
    return CONDITIONS[name]


@dataclass
class CorruptReport:
    """Outcome of one :func:`corrupt_data_dir` call."""

    condition: str
    out_dir: str
    seed: int
    utterances: int
    failed: dict[str, str] = field(default_factory=dict)  # uttid -> reason (naming the wav.scp line)
    not_copied: list[str] = field(default_factory=list)  # files of the source directory left out
    features: bool = False
    skipped: bool = False  # True when an identical finished run was found

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "skipped"}


@dataclass(frozen=True)
class _Job:
    """One utterance to corrupt (picklable, for worker processes)."""

    uttid: str
    audio: str
    line: int
    out_path: str
    condition: Condition
    seed: int
    wav_scp: str
    babble: tuple[str, ...] = ()


def _corrupt_one(job: _Job) -> tuple[str, float | None, str | None]:
    """Worker: corrupt one utterance and write it as 16-bit wav; ``(uttid, seconds, None)`` or the reason."""
    try:
        wav, sr = load_audio(job.audio)
        rng = np.random.default_rng(stable_seed(job.seed, job.condition.name, job.uttid))
        babble = []
        for other in job.babble:
            try:
                babble.append(load_audio(other, sr)[0])
            except CstkError as err:
                raise CstkError(f"babble source unreadable: {err}") from None
        out = job.condition.apply(wav, Context(sr, rng, babble))
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > MAX_PEAK:
            out = out * (MAX_PEAK / peak)
        if out.size == 0:
            raise CstkError("corrupted audio is empty")
        write_audio(job.out_path, out, sr, audio_format="wav")
        return job.uttid, out.size / sr, None
    except (CstkError, ValueError, OSError) as err:
        return job.uttid, None, str(InputFileError(job.wav_scp, f"{job.uttid}: {err}", job.line))


def _fingerprint(wav_scp: Path, cond: Condition, seed: int, features_cfg: dict[str, Any] | None) -> str:
    """Hash of the source wav.scp (and the audio files' sizes/mtimes), the condition, the seed and features."""
    what = [cond.name, cond.settings, seed, features_cfg]
    digest = hashlib.sha1(json.dumps(what, sort_keys=True, default=str).encode())
    digest.update(wav_scp.read_bytes())
    for _, (_, path) in sorted(read_kaldi_entries(wav_scp).items()):
        st = os.stat(path) if os.path.exists(path) else None
        digest.update(f"{path} {st.st_size if st else -1} {st.st_mtime_ns if st else -1}\n".encode())
    return digest.hexdigest()


def _check_out_dir(out_dir: Path, data_dir: Path) -> None:
    """Refuse an output folder that would replace the input or a folder this module did not write."""
    out, src = out_dir.resolve(), data_dir.resolve()
    if out == src or src.is_relative_to(out) or out.is_relative_to(src):
        raise ConfigError(f"output folder {out_dir} must lie outside the data directory {data_dir} and not hold it")
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise InputFileError(out_dir, "exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).is_file():
        raise InputFileError(out_dir, "folder exists and was not written by cstk corrupt; choose a new one")


def _babble_pool(wav: dict[str, tuple[int, str]], utt2spk: dict[str, str]) -> dict[str, list[str]]:
    """Per speaker, the utterances of other speakers whose audio file exists (the babble candidates)."""
    present = sorted(u for u, (_, path) in wav.items() if Path(path).is_file() and u in utt2spk)
    return {spk: [u for u in present if utt2spk[u] != spk] for spk in sorted(set(utt2spk.values()))}


def _filtered_copy(src: Path, dst: Path, keep: set[str]) -> bool:
    """Copy ``<key> ...`` lines (or JSON lines with an "id") whose key is in ``keep``; False for other files."""
    try:
        text = src.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if src.suffix == ".jsonl":
            try:
                key = json.loads(line).get("id")
            except (ValueError, AttributeError):
                return False
        else:
            key = line.split(maxsplit=1)[0]
        if key in keep:
            lines.append(line)
    atomic_write_lines(dst, lines)
    return True


def read_source(data_dir: Path, cond: Condition) -> tuple[dict[str, tuple[int, str]], dict[str, str]]:
    """``wav.scp`` entries (``{uttid: (line, path)}``) and ``utt2spk`` of a data directory, checked for ``cond``.

    InputFileError for a missing directory or wav.scp, an empty wav.scp, pipe commands or a Kaldi ``segments``
    file; ConfigError when a babble condition finds fewer than two speakers.
    """
    if not data_dir.is_dir():
        raise InputFileError(data_dir, "data directory not found")
    wav_scp = data_dir / "wav.scp"
    if not wav_scp.is_file():
        raise InputFileError(wav_scp, "missing: not a Kaldi data directory")
    if (data_dir / "segments").is_file():
        raise InputFileError(data_dir / "segments", "segment files are not supported: extract the segments first")
    wav = read_kaldi_entries(wav_scp)
    if not wav:
        raise InputFileError(wav_scp, "no utterances")
    for uttid, (line, path) in wav.items():
        if path.rstrip().endswith("|"):
            raise InputFileError(wav_scp, f"{uttid}: pipe commands are not supported", line)
    utt2spk_path = data_dir / "utt2spk"
    utt2spk = {k: v for k, (_, v) in read_kaldi_entries(utt2spk_path).items()} if utt2spk_path.is_file() else {}
    if cond.babble:
        if not utt2spk:
            raise InputFileError(utt2spk_path, f"missing: condition {cond.name} needs speakers")
        speakers = {utt2spk[u] for u in wav if u in utt2spk}
        if len(speakers) < 2:
            raise ConfigError(f"condition {cond.name} needs utterances of at least 2 speakers in {data_dir} "
                              f"(found {len(speakers)})")  # fmt: skip
    return wav, utt2spk


def corrupt_data_dir(
    data_dir: str | Path,
    condition_name: str | Condition,
    out_dir: str | Path,
    seed: int = 0,
    num_jobs: int = 1,
    features_cfg: dict[str, Any] | None = None,
) -> CorruptReport:
    """Write ``data_dir`` under ``condition_name`` into ``out_dir`` (see the module docstring).

    ``features_cfg`` (the ``features`` config group as a dict) also computes fbank/mel with
    :func:`cstoolkit.data.features.compute_split`, so that ``cstk decode-asr --data-dir out_dir`` can read it.
    An utterance whose audio cannot be read or corrupted is left out and listed in :attr:`CorruptReport.failed`
    (with the wav.scp line); InputFileError when none is left. ConfigError for an unknown condition, babble with
    fewer than two speakers, or an output folder inside the data directory.
    """
    cond = condition_name if isinstance(condition_name, Condition) else condition(condition_name)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    wav, utt2spk = read_source(data_dir, cond)
    wav_scp = data_dir / "wav.scp"
    _check_out_dir(out_dir, data_dir)
    if features_cfg is not None:
        from cstoolkit.data.features import check_features_config

        check_features_config(features_cfg)
    key = _fingerprint(wav_scp, cond, seed, features_cfg)
    stamp = out_dir / STAMP_FILE
    if stamp.is_file():
        try:
            done = json.loads(stamp.read_text(encoding="utf-8"))
            if done.get("fingerprint") == key:
                log.debug("%s: %s already written, skipped", out_dir, cond.name)
                fields = {k: done[k] for k in CorruptReport.__dataclass_fields__ if k in done and k != "skipped"}
                return CorruptReport(**fields, skipped=True)
        except (OSError, ValueError, TypeError, KeyError):
            pass
        stamp.unlink()  # from now on the folder does not look finished
    babble = _babble_pool(wav, utt2spk) if cond.babble else {}
    final = out_dir.resolve()
    jobs = []
    for uttid, (line, path) in sorted(wav.items()):
        others: tuple[str, ...] = ()
        if cond.babble:
            pool = babble.get(utt2spk.get(uttid, ""), [])
            if pool:  # an empty pool is reported as a failure of this utterance by _run_job
                pick = np.random.default_rng(stable_seed(seed, cond.name, uttid, "babble"))
                count = int(pick.integers(BABBLE_TALKERS[0], BABBLE_TALKERS[1] + 1))
                chosen = pick.choice(len(pool), size=count, replace=count > len(pool))
                others = tuple(wav[pool[i]][1] for i in chosen)
        jobs.append(_Job(uttid, path, line, "", cond, seed, str(wav_scp), others))

    report = CorruptReport(cond.name, str(final), seed, 0)
    if num_jobs > 1:  # imported once here, so that forked workers do not import them again per condition
        import scipy.signal  # noqa: F401
        import torchaudio.functional  # noqa: F401
    with atomic_dir(out_dir) as tmp:
        (tmp / MARKER_FILE).touch()
        (tmp / "wav").mkdir()
        jobs = [_Job(**{**j.__dict__, "out_path": str(tmp / "wav" / f"{j.uttid}.wav")}) for j in jobs]
        results = parallel_map(_run_job, jobs, num_jobs, desc=f"corrupt {cond.name}")
        durations = {uttid: seconds for uttid, seconds, _ in results if seconds is not None}
        report.failed = {uttid: reason for uttid, _, reason in results if reason is not None}
        if not durations:
            example = min(report.failed.items())[1] if report.failed else ""
            raise InputFileError(wav_scp, f"no utterance could be corrupted ({len(report.failed)} failed), e.g. "
                                          f"{example}")  # fmt: skip
        keep = set(durations)
        report.utterances = len(keep)
        atomic_write_lines(tmp / "wav.scp", [f"{u} {final / 'wav' / f'{u}.wav'}" for u in sorted(keep)])
        atomic_write_lines(tmp / "utt2dur", [f"{u} {durations[u]:.3f}" for u in sorted(keep)])
        report.not_copied = copy_tables(data_dir, tmp, keep, utt2spk, final, durations)
    if features_cfg is not None:
        from cstoolkit.data.features import compute_split

        compute_split(out_dir, features_cfg, num_jobs, with_stats=False)
        report.features = True
    atomic_write_text(stamp, json.dumps({**report.to_dict(), "fingerprint": key}, indent=1, ensure_ascii=False) + "\n")
    return report


def _run_job(job: _Job) -> tuple[str, float | None, str | None]:
    if job.condition.babble and not job.babble:
        reason = "no utterance of another speaker with an existing audio file to make babble from"
        return job.uttid, None, str(InputFileError(job.wav_scp, f"{job.uttid}: {reason}", job.line))
    return _corrupt_one(job)


def copy_tables(
    src: Path, dst: Path, keep: set[str], utt2spk: dict[str, str], final: Path, durations: dict[str, float]
) -> list[str]:
    """Carry the per-utterance files of ``src`` over to ``dst`` for the utterances in ``keep``; rebuild spk2utt and
    the manifest (new audio path and duration). Returns the names of files not carried over."""
    not_copied = []
    speakers = {utt2spk[u] for u in keep if u in utt2spk}
    for entry in sorted(src.iterdir()):
        name = entry.name
        if name in _REWRITTEN or name.startswith("."):
            continue
        per_utterance = name.startswith(("text", "utt2")) or name == SEGMENTS_FILE
        copied = False
        if entry.is_file() and name not in _NOT_CARRIED and (per_utterance or name.startswith("spk2")):
            copied = _filtered_copy(entry, dst / name, keep if per_utterance else speakers)
        if not copied:
            not_copied.append(name)
    if utt2spk:
        spk2utt: dict[str, list[str]] = {}
        for uttid in sorted(keep):
            if uttid in utt2spk:
                spk2utt.setdefault(utt2spk[uttid], []).append(uttid)
        atomic_write_lines(dst / "spk2utt", [f"{s} {' '.join(u)}" for s, u in sorted(spk2utt.items())])
    manifest = src / MANIFEST_FILE
    if manifest.is_file():
        lines = []
        for line in manifest.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("id") in keep:
                uttid = record["id"]
                record.update(audio=str(final / "wav" / f"{uttid}.wav"), duration=round(durations[uttid], 3))
                lines.append(json.dumps(record, ensure_ascii=False))
        atomic_write_lines(dst / MANIFEST_FILE, lines)
    return not_copied


def corrupt_all(
    data_dir: str | Path,
    names: list[str],
    out_root: str | Path,
    seed: int = 0,
    num_jobs: int = 1,
    features_cfg: dict[str, Any] | None = None,
) -> list[CorruptReport]:
    """:func:`corrupt_data_dir` for each condition of ``names`` into ``out_root/<condition>``."""
    data_dir, out_root = Path(data_dir), Path(out_root)
    for name in names:  # every input problem is found before any work is done
        read_source(data_dir, condition(name))
        _check_out_dir(out_root / name, data_dir)
    return [corrupt_data_dir(data_dir, name, Path(out_root) / name, seed, num_jobs, features_cfg) for name in names]


#: where :func:`make_augmented_copies` puts the copies of a split, under the data folder
AUGMENT_DIR = "augment"


def augmented_copy_dir(data_dir: str | Path, split: str, copy: int) -> Path:
    """Where copy ``copy`` (1, 2, ...) of ``split`` goes: ``<data_dir>/augment/<split>/copy<copy>``."""
    return Path(data_dir) / AUGMENT_DIR / split / f"copy{copy}"


def _copy_number(path: Path) -> int | None:
    """k of a ``copy<k>`` folder, None for any other name."""
    return int(path.name[4:]) if path.name.startswith("copy") and path.name[4:].isdigit() else None


def augmented_copy_dirs(data_dir: str | Path, split: str) -> list[Path]:
    """The finished augmented copies of ``split`` under ``data_dir`` (``augment/<split>/copy<k>``), by k."""
    root = augmented_copy_dir(data_dir, split, 0).parent
    found = [p for p in root.glob("copy*") if _copy_number(p) is not None and (p / STAMP_FILE).is_file()]
    return sorted(found, key=_copy_number)


def make_augmented_copies(
    data_dir: str | Path, augment_cfg: dict[str, Any], num_jobs: int, features_cfg: dict[str, Any]
) -> list[CorruptReport]:
    """Kaldi-style training augmentation made once: ``augment_cfg["copies"]`` copies of the split
    ``augment_cfg["split"]`` of ``data_dir``, each utterance augmented by the ``augmenter`` config with its own draw
    per copy, with features, into ``data_dir/augment/<split>/copy<k>``. Up-to-date copies are skipped (their
    stamps); copies beyond the count are removed."""
    import shutil

    from hydra.utils import instantiate

    data_dir = Path(data_dir)
    copies, split = int(augment_cfg["copies"]), str(augment_cfg["split"])
    if copies < 0:
        raise ConfigError(f"bad configuration value augment.copies={copies}: expected 0 or more")
    root = augmented_copy_dir(data_dir, split, 0).parent
    for stale in root.glob("copy*") if root.is_dir() else []:
        number = _copy_number(stale)
        if number is None or number > copies:
            shutil.rmtree(stale)
    if copies == 0:
        return []
    augmenter = instantiate(augment_cfg["augmenter"])
    seed = int(augment_cfg["augmenter"].get("seed", 0))
    reports = []
    for k in range(1, copies + 1):
        cond = augmentation_copy(augmenter, k)
        out_dir = augmented_copy_dir(data_dir, split, k)
        reports.append(corrupt_data_dir(data_dir / split, cond, out_dir, seed, num_jobs, features_cfg))
    return reports
