"""The utterances of a Kaldi-style data directory that a model can use, as one table.

A table joins per-utterance files by utterance id: any ``*.scp`` (features, mel, speaker embeddings; loaded later,
item by item), text, integer sequences (token ids). Every utterance gets a length from a shape file (``utt T`` as in
``utt2num_frames``, or ``utt T,D`` as in ESPnet's ``*_shape``), which the duration buckets batch by. An utterance
that cannot be used (an entry missing from a file, a feature file that does not exist, no length, too long) is
dropped when the table is built and kept in ``skipped`` with its reason; nothing is dropped silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.data.matrices import FeatureDimError, load_features
from cstoolkit.errors import InputFileError

log = logging.getLogger(__name__)

FieldKind = Literal["text", "ints", "scp"]


@dataclass(frozen=True)
class Field:
    """A per-utterance file of a data directory (``utt value`` lines) and how its values are read.

    kind: ``text`` (the string as written), ``ints`` (white-space separated integers, e.g. token ids) or ``scp``
    (a kaldiio specifier or ``.npy`` path, loaded as a ``(T, D)`` matrix when the item is read).
    """

    file: str
    kind: FieldKind = "text"


@dataclass
class UttTable:
    """Usable utterances of one directory: ids, lengths and one column of values per field (rows aligned)."""

    data_dir: Path
    fields: dict[str, Field]
    utt_ids: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # utterance id -> reason

    def __len__(self) -> int:
        return len(self.utt_ids)

    def keep(self, reason: Callable[[int], str | None]) -> None:
        """Drop the rows for which ``reason(row)`` gives a reason; the reasons go to ``skipped``."""
        why = [reason(i) for i in range(len(self))]
        rows = [i for i, r in enumerate(why) if r is None]
        self.skipped.update({self.utt_ids[i]: r for i, r in enumerate(why) if r is not None})
        self.utt_ids = [self.utt_ids[i] for i in rows]
        self.lengths = [self.lengths[i] for i in rows]
        self.columns = {name: [values[i] for i in rows] for name, values in self.columns.items()}

    def log_skipped(self) -> None:
        """One warning per skipped utterance, with its reason."""
        for utt, reason in sorted(self.skipped.items()):
            log.warning("%s: skipping %s: %s", self.data_dir, utt, reason)

    def why_empty(self) -> str:
        """Why the table has no row: counts of the reasons, with one example."""
        if not self.skipped:
            return "it is empty"
        utt, reason = min(self.skipped.items())
        return f"all {len(self.skipped)} skipped, e.g. {utt}: {reason}"

    def check_dim(self, name: str, dim: int, key: str, tries: int = 3) -> None:
        """InputFileError when the first loadable matrix of field ``name`` is not ``dim`` wide (config ``key``).

        Checked once before training or decoding, so a whole directory of wrong features fails with one line
        instead of a size mismatch deep inside the model (unreadable files are left to the per-item handling).
        """
        for spec in self.columns[name][:tries]:
            try:
                load_features(spec, dim)
                return
            except FeatureDimError as err:
                raise InputFileError(self.data_dir / self.fields[name].file, f"{err} ({key})") from None
            except ValueError:
                continue


def read_lengths(data_dir: Path, shape_files: Sequence[str]) -> dict[str, int]:
    """Lengths from the first shape file of ``shape_files`` that exists (``utt T`` or ``utt T,D`` lines)."""
    for name in shape_files:
        path = data_dir / name
        if path.is_file():
            out: dict[str, int] = {}
            for lineno, (utt, value) in enumerate(read_kaldi_file(path, allow_empty_value=True).items(), start=1):
                try:
                    out[utt] = int(value.split(",")[0])
                except ValueError:
                    raise InputFileError(path, f"bad length {value!r} for {utt}", line=lineno) from None
            return out
    others = f" (and no {', '.join(shape_files[1:])})" if len(shape_files) > 1 else ""
    raise InputFileError(data_dir / shape_files[0], f"missing{others}: run the features stage first")


def read_table(
    data_dir: str | Path,
    fields: Mapping[str, Field],
    shape_files: Sequence[str],
    max_length: int | None = None,
    max_length_key: str = "max_length",
) -> UttTable:
    """Join ``fields`` (name -> file of ``data_dir``) by utterance id; lengths from ``shape_files``.

    Utterances missing from a field's file, whose ``scp`` file does not exist, without a length or longer than
    ``max_length`` (the config key ``max_length_key`` is named in the reason) are skipped.
    """
    data_dir = Path(data_dir)
    values = {name: _read_field(data_dir, f) for name, f in fields.items()}
    lengths = read_lengths(data_dir, shape_files)
    missing = {name: _missing_files(values[name].values()) for name, f in fields.items() if f.kind == "scp"}
    table = UttTable(data_dir, dict(fields), columns={name: [] for name in fields})
    for utt in sorted(set().union(*(v.keys() for v in values.values()))):
        reason = _unusable(utt, fields, values, missing, lengths, max_length, max_length_key)
        if reason:
            table.skipped[utt] = reason
            continue
        table.utt_ids.append(utt)
        table.lengths.append(lengths[utt])
        for name in fields:
            table.columns[name].append(values[name][utt])
    return table


def _unusable(utt, fields, values, missing, lengths, max_length, max_length_key) -> str | None:
    """Why ``utt`` cannot be used, or None."""
    for name, f in fields.items():
        if utt not in values[name]:
            return f"not in {f.file}"
        if f.kind == "scp" and spec_file(values[name][utt]) in missing[name]:
            return f"feature file {spec_file(values[name][utt])} not found"
    if utt not in lengths:
        return "no length in the shape file"
    if max_length and lengths[utt] > max_length:
        return f"{lengths[utt]} frames > {max_length_key}={max_length}"
    return None


def _read_field(data_dir: Path, f: Field) -> dict[str, Any]:
    """The values of one field's file, parsed by its kind."""
    path = data_dir / f.file
    raw = read_kaldi_file(path, allow_empty_value=f.kind == "text")
    if f.kind != "ints":
        return raw
    out: dict[str, list[int]] = {}
    for lineno, (utt, value) in enumerate(raw.items(), start=1):
        try:
            out[utt] = [int(x) for x in value.split()]
        except ValueError:
            raise InputFileError(path, f"expected integers for {utt}, got {value!r}", line=lineno) from None
    return out


def spec_file(spec: str) -> str:
    """The file of a kaldiio specifier: ``a.ark:123`` and ``a.ark:123[0:9]`` -> ``a.ark``; pipes stay as they are."""
    if spec.rstrip().endswith("|"):
        return spec
    return re.sub(r":\d+(\[[^\]]*\])?$", "", spec)


def _missing_files(specs: Iterable[str]) -> set[str]:
    """Files named by specifiers that do not exist (each file checked once)."""
    files = {spec_file(s) for s in specs}
    return {f for f in files if not f.endswith("|") and not Path(f).is_file()}


def add_variants(table: UttTable, name: str, variant_dirs: Sequence[Path], shape_files: Sequence[str]) -> int:
    """Join other versions of the ``scp`` field ``name`` from ``variant_dirs`` (the same utterance ids in other
    directories: augmented copies of the audio, made once). The column then holds, per utterance, a tuple of
    specifiers, its own first; :class:`~cstoolkit.data.loader.UttDataset` reads one of them each epoch (drawn by
    :class:`~cstoolkit.data.sampler.VariantBatchSampler`). An utterance missing from a copy, or whose copy's feature
    file does not exist, has fewer versions. The length becomes the longest version's (speed perturbation changes
    it), so a batch never outgrows its frame budget. Returns the number of versions added.
    """
    own = table.fields[name]
    added = 0
    columns = [(spec,) for spec in table.columns[name]]
    lengths = list(table.lengths)
    for variant_dir in variant_dirs:
        specs = _read_field(Path(variant_dir), own)
        var_lengths = read_lengths(Path(variant_dir), shape_files)
        missing = _missing_files(specs.values())
        for row, utt in enumerate(table.utt_ids):
            spec = specs.get(utt)
            if spec is None or utt not in var_lengths or spec_file(spec) in missing:
                continue
            columns[row] = (*columns[row], spec)
            lengths[row] = max(lengths[row], var_lengths[utt])
            added += 1
    table.columns[name] = columns
    table.lengths = lengths
    return added
