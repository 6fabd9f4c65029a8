"""From a table of utterances to padded batches: items, collation, and the one batching iterator.

Training, validation, decoding, transcription and extraction all batch through :func:`make_loader`: utterances
of similar length share a batch (:class:`~cstoolkit.data.sampler.DurationBucketBatchSampler`, sharded per rank
under DDP) and :func:`collate_padded` pads every tensor field. A feature file that fails to load gives a "corrupt"
item (logged, reported in the batch), never a crash, unless the caller marks its error as fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any

import torch

from cstoolkit.data.matrices import load_features
from cstoolkit.data.sampler import DurationBucketBatchSampler, VariantBatchSampler
from cstoolkit.data.table import UttTable

log = logging.getLogger(__name__)

Item = dict[str, Any]
#: an item after loading -> an item (augmentation, waveform -> features, ...); runs in the loader workers
Transform = Callable[[Item], Item]


class Batch(dict):
    """A collated batch: ``utts`` [B], ``corrupt`` {utt: reason} and, per tensor field ``x`` of the items, ``x``
    padded to (B, T, ...), ``x_lengths`` (B,) and, when asked for, ``x_mask`` (B, T) True on real elements.

    A batch whose items were all unreadable is :attr:`empty` (``utts`` is [] and it holds no tensor).
    """

    @property
    def utts(self) -> list[str]:
        return self["utts"]

    @property
    def corrupt(self) -> dict[str, str]:
        return self.get("corrupt", {})

    @property
    def size(self) -> int:
        return len(self["utts"])

    @property
    def empty(self) -> bool:
        return not self["utts"]


class UttDataset(torch.utils.data.Dataset):
    """Items ``{"utt": id, <field>: value}`` of an :class:`~cstoolkit.data.table.UttTable`.

    ``scp`` fields are loaded as (T, D) float32 tensors (checked against ``dims[field]`` when given), integer lists
    become int64 tensors, other values (text) stay as they are; ``transform`` runs last. An item that cannot be
    loaded is ``{"utt": id, "corrupt": reason}`` and reported by ``on_corrupt(utt, reason)`` (default: a logged
    warning), except for errors of the types in ``fatal``, which propagate.

    On-the-fly processing plugs in as ``transform``: e.g. a ``wav`` field read as text (``Field("wav.scp")``, the
    audio path) and a transform that loads, augments and featurises it into ``speech``; it runs in the loader's
    worker processes, so it must pickle.
    """

    def __init__(
        self,
        table: UttTable,
        dims: Mapping[str, int] | None = None,
        transform: Transform | None = None,
        fatal: tuple[type[Exception], ...] = (),
        on_corrupt: Callable[[str, str], None] | None = None,
    ) -> None:
        self.table = table
        self.dims = dict(dims or {})
        self.transform = transform
        self.fatal = fatal
        self.on_corrupt = on_corrupt or _log_corrupt

    @property
    def lengths(self) -> list[int]:
        """Length of each item (frames), for the duration buckets."""
        return self.table.lengths

    def __len__(self) -> int:
        return len(self.table)

    @property
    def variant_counts(self) -> list[int]:
        """How many versions each item has (1, or more after :func:`~cstoolkit.data.table.add_variants`)."""
        counts = [1] * len(self.table)
        for name, values in self.table.columns.items():
            if self.table.fields[name].kind == "scp":
                counts = [max(c, len(v)) if isinstance(v, tuple) else c for c, v in zip(counts, values)]
        return counts

    def __getitem__(self, index: int) -> Item:
        """Item ``index`` (``i + version * len(self)`` reads version ``version`` of item ``i``'s variant fields)."""
        i, version = index % len(self.table), index // len(self.table)
        utt = self.table.utt_ids[i]
        try:
            item: Item = {"utt": utt}
            for name, values in self.table.columns.items():
                value = values[i]
                item[name] = self._value(name, value[version] if isinstance(value, tuple) else value)
            return self.transform(item) if self.transform else item
        except self.fatal:
            raise
        except Exception as err:  # a corrupt or truncated ark must not stop training
            self.on_corrupt(utt, str(err))
            return {"utt": utt, "corrupt": str(err)}

    def _value(self, name: str, value: Any) -> Any:
        if self.table.fields[name].kind == "scp":
            return torch.from_numpy(load_features(value, self.dims.get(name)))
        if isinstance(value, list):
            return torch.tensor(value, dtype=torch.long)
        return value


def _log_corrupt(utt: str, reason: str) -> None:
    log.warning("corrupt features for %s: %s; skipped", utt, reason)


class ItemsDataset(torch.utils.data.Dataset):
    """Items already in memory (e.g. features of audio files to transcribe); lengths from ``length_field``."""

    def __init__(self, items: Sequence[Item], length_field: str) -> None:
        self.items = list(items)
        self.lengths = [int(it[length_field].shape[0]) for it in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Item:
        return self.items[i]


def collate_padded(
    items: list[Item], pad_values: Mapping[str, float] | None = None, masks: Collection[str] = ()
) -> Batch:
    """Pad a list of items into a :class:`Batch`.

    Tensor fields are padded along their first axis with ``pad_values[field]`` (default 0) and get
    ``<field>_lengths``; fields named in ``masks`` also get ``<field>_mask``. Other values become lists.
    """
    good = [it for it in items if "corrupt" not in it]
    batch = Batch(
        utts=[it["utt"] for it in good], corrupt={it["utt"]: it["corrupt"] for it in items if "corrupt" in it}
    )
    if not good:
        return batch
    pad_values = pad_values or {}
    for name, first in good[0].items():
        if name == "utt":
            continue
        values = [it[name] for it in good]
        if not torch.is_tensor(first):
            batch[name] = values
            continue
        pad = pad_values.get(name, 0.0)
        batch[name] = torch.nn.utils.rnn.pad_sequence(values, batch_first=True, padding_value=pad)
        lengths = torch.tensor([v.shape[0] for v in values])
        batch[f"{name}_lengths"] = lengths
        if name in masks:
            batch[f"{name}_mask"] = torch.arange(batch[name].shape[1])[None, :] < lengths[:, None]
    return batch


def make_loader(
    dataset: torch.utils.data.Dataset,
    max_frames: int,
    max_batch_size: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
    num_workers: int = 0,
    collate: Callable[[list[Item]], Batch] = collate_padded,
) -> torch.utils.data.DataLoader:
    """A DataLoader of duration-bucketed batches over ``dataset`` (which has ``lengths``).

    Batches hold at most ``max_frames`` padded frames and ``max_batch_size`` items (default: no limit); with
    ``shuffle`` their order changes every epoch (from ``seed``). Under DDP each rank reads its share. Items with
    several versions (augmented copies) are read in one version per epoch, drawn from ``seed`` and the epoch.
    """
    sampler: DurationBucketBatchSampler | VariantBatchSampler = DurationBucketBatchSampler(
        dataset.lengths,
        max_frames=int(max_frames),
        max_batch_size=int(max_batch_size) if max_batch_size else max(1, len(dataset)),
        shuffle=shuffle,
        seed=seed,
    )
    counts = getattr(dataset, "variant_counts", None)
    if counts and max(counts) > 1:
        sampler = VariantBatchSampler(sampler, counts, seed)
    return torch.utils.data.DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=collate,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )


def loader_from_config(
    dataset: torch.utils.data.Dataset, batch_cfg: Any, shuffle: bool, seed: int, collate: Callable = collate_padded
) -> torch.utils.data.DataLoader:
    """:func:`make_loader` with the ``batch`` config group (max_frames, max_batch_size, bucket_shuffle, num_workers)."""
    return make_loader(
        dataset,
        max_frames=int(batch_cfg.max_frames),
        max_batch_size=int(batch_cfg.max_batch_size),
        shuffle=shuffle and bool(batch_cfg.bucket_shuffle),
        seed=seed,
        num_workers=int(batch_cfg.num_workers),
        collate=collate,
    )


def padded_collate(pad_values: Mapping[str, float] | None = None, masks: Collection[str] = ()) -> Callable:
    """A picklable :func:`collate_padded` with these pad values and masks (for DataLoader workers)."""
    return partial(collate_padded, pad_values=dict(pad_values or {}), masks=tuple(masks))


def table_loaders(
    train: UttTable, dev: UttTable | None, dims: Mapping[str, int], batch_cfg: Any, seed: int, collate: Callable
) -> tuple[torch.utils.data.DataLoader, torch.utils.data.DataLoader | None]:
    """Training loader (shuffled buckets) and validation loader (None without a ``dev`` table) of two tables."""
    train_loader = loader_from_config(UttDataset(train, dims), batch_cfg, True, seed, collate)
    dev_loader = loader_from_config(UttDataset(dev, dims), batch_cfg, False, seed, collate) if dev is not None else None
    return train_loader, dev_loader
