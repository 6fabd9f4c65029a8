"""A Kaldi data directory rewritten with corrupted audio, under one named condition, for robustness evaluation.

The conditions are in :mod:`cstoolkit.data.conditions` (:data:`CONDITIONS`, importable from here too).
:func:`corrupt_data_dir` writes, for one condition, ``out_dir/wav/<uttid>.wav`` and a new data directory in
``out_dir`` with the same utterances (transcripts, speakers, language tags, segments; ``wav.scp``, ``utt2dur`` and
``manifest.jsonl`` rewritten), then optionally the features that ``cstk decode-asr --data-dir`` reads
(``feats.scp``, ``utt2num_frames``; the model brings its own CMVN), and last ``corrupt.json``, the stamp of a
finished run (:class:`cstoolkit.core.stamps.Stamp`). The data directory appears as a whole
(cstoolkit.core.atomic.atomic_dir); a killed run leaves no ``corrupt.json``, and a re-run with the same inputs and
settings finds the stamp and skips the work. :func:`make_augmented_copies` writes the training augmentation's
copies of a split the same way.

Every random draw comes from a generator seeded by ``(seed, condition, utterance id)``: the same command gives the
same audio, whatever ``num_jobs`` is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cstoolkit.core.atomic import atomic_dir, atomic_write_lines
from cstoolkit.core.stamps import Stamp, fingerprint
from cstoolkit.data.audio import load_audio, write_audio
from cstoolkit.data.augment import stable_seed
from cstoolkit.data.conditions import CONDITIONS, Condition, Context, augmentation_copy, condition
from cstoolkit.data.dir_copy import copy_tables
from cstoolkit.data.kaldi_dir import read_kaldi_entries
from cstoolkit.data.parallel import parallel_map
from cstoolkit.errors import ConfigError, CstkError, InputFileError

__all__ = [
    "AUGMENT_DIR",
    "CONDITIONS",
    "MARKER_FILE",
    "STAMP_FILE",
    "Condition",
    "Context",
    "CorruptReport",
    "augmentation_copy",
    "augmented_copy_dir",
    "augmented_copy_dirs",
    "condition",
    "copy_tables",
    "corrupt_all",
    "corrupt_data_dir",
    "make_augmented_copies",
    "read_source",
]

log = logging.getLogger(__name__)

#: written last into a finished output directory
STAMP_FILE = "corrupt.json"
#: written first: marks a folder as made by this module (and so safe to replace), finished or not
MARKER_FILE = ".cstk_corrupt"
#: peak level a corrupted signal is scaled down to when it would clip (the SNR is kept)
MAX_PEAK = 0.99
#: babble: how many other-speaker utterances are summed (inclusive range)
BABBLE_TALKERS = (3, 5)


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
    audio = [path for _, (_, path) in sorted(read_kaldi_entries(wav_scp).items())]
    return fingerprint([cond.name, cond.settings, seed, features_cfg], wav_scp.read_bytes(), files=audio)


def _recorded_report(record: dict[str, Any] | None) -> CorruptReport | None:
    """The report that a matching stamp holds, or None (no match, or a stamp without the report's fields)."""
    if record is None:
        return None
    fields = {k: record[k] for k in CorruptReport.__dataclass_fields__ if k in record and k != "skipped"}
    try:
        return CorruptReport(**fields, skipped=True)
    except TypeError:
        return None


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
            raise ConfigError(
                f"condition {cond.name} needs utterances of at least 2 speakers in {data_dir} (found {len(speakers)})"
            )
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
    stamp = Stamp(out_dir / STAMP_FILE)
    done = _recorded_report(stamp.matches(key))
    if done is not None:
        log.debug("%s: %s already written, skipped", out_dir, cond.name)
        return done
    stamp.clear()  # from now on the folder does not look finished
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
            raise InputFileError(
                wav_scp, f"no utterance could be corrupted ({len(report.failed)} failed), e.g. {example}"
            )
        keep = set(durations)
        report.utterances = len(keep)
        atomic_write_lines(tmp / "wav.scp", [f"{u} {final / 'wav' / f'{u}.wav'}" for u in sorted(keep)])
        atomic_write_lines(tmp / "utt2dur", [f"{u} {durations[u]:.3f}" for u in sorted(keep)])
        report.not_copied = copy_tables(data_dir, tmp, keep, utt2spk, final, durations)
    if features_cfg is not None:
        from cstoolkit.data.features import compute_split

        compute_split(out_dir, features_cfg, num_jobs, with_stats=False)
        report.features = True
    stamp.write(key, **report.to_dict())
    return report


def _run_job(job: _Job) -> tuple[str, float | None, str | None]:
    if job.condition.babble and not job.babble:
        reason = "no utterance of another speaker with an existing audio file to make babble from"
        return job.uttid, None, str(InputFileError(job.wav_scp, f"{job.uttid}: {reason}", job.line))
    return _corrupt_one(job)


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
