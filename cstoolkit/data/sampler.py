"""Duration-bucketed batches: utterances of similar length share a batch, bounded by padded frames per batch."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from cstoolkit.errors import ConfigError


def _dist_rank_world() -> tuple[int, int]:
    """(rank, world size) of the initialised torch.distributed group, else (0, 1)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class DurationBucketBatchSampler:
    """Batch sampler over utterance lengths (ESPnet's ``batch_type: length`` / ``numel`` idea).

    Utterances are sorted by length and cut greedily into batches whose padded size ``max_len * n`` stays within
    ``max_frames`` (and ``n <= max_batch_size``); a single utterance longer than ``max_frames`` gets its own batch.
    The batch list is fixed; its order is shuffled every epoch (``set_epoch``) from ``seed + epoch``. Under DDP each
    rank takes every ``world``-th batch of the same shuffled list, so the ranks' shares of an epoch are disjoint and
    together hold every utterance once. Every rank must run the same number of steps: when the batch count is not a
    multiple of ``world``, the batches with the most utterances are first split in two (:meth:`batches_for`); only
    when every batch holds a single utterance are batches repeated instead.

    Args:
        lengths: length (frames) of each dataset item, indexed like the dataset.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        max_frames: int,
        max_batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        if max_frames <= 0 or max_batch_size <= 0:
            raise ConfigError(  # the callers check their config keys first; this guards direct use
                f"a batch needs max_frames and max_batch_size of at least 1, got {max_frames} and {max_batch_size}"
            )
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self._rank, self._world = rank, world_size
        order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
        self.batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            longest = max(lengths[i], lengths[current[-1]]) if current else lengths[i]
            if current and (longest * (len(current) + 1) > max_frames or len(current) >= max_batch_size):
                self.batches.append(current)
                current = []
            current.append(i)
        if current:
            self.batches.append(current)

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at each epoch start: changes the shuffled batch order."""
        self.epoch = epoch

    def _rank_world(self) -> tuple[int, int]:
        if self._rank is not None and self._world is not None:
            return self._rank, self._world
        return _dist_rank_world()

    def batches_for(self, world: int) -> list[list[int]]:
        """The batch list of an epoch with ``world`` ranks (before shuffling): a multiple of ``world`` long.

        The largest batches (by utterance count; the first of equals) are split in halves until the count divides
        evenly; every utterance stays in exactly one batch. Only when no batch has two utterances left are batches
        repeated from the start of the list (fewer utterances than ranks, or all of them longer than ``max_frames``).
        """
        batches = [list(b) for b in self.batches]
        if world <= 1 or not batches:
            return batches
        missing = -len(batches) % world
        while missing:
            k = max(range(len(batches)), key=lambda j: len(batches[j]))
            if len(batches[k]) < 2:
                break
            half = len(batches[k]) // 2
            batches[k : k + 1] = [batches[k][:half], batches[k][half:]]
            missing -= 1
        batches += [batches[j % len(batches)] for j in range(missing)]
        return batches

    def _ordered(self) -> list[list[int]]:
        rank, world = self._rank_world()
        batches = self.batches_for(world)
        if self.shuffle:
            random.Random(self.seed + self.epoch).shuffle(batches)
        return batches[rank::world] if world > 1 else batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._ordered()

    def __len__(self) -> int:
        _rank, world = self._rank_world()
        return -(-len(self.batches) // world) if world > 1 else len(self.batches)


class VariantBatchSampler:
    """Wraps a batch sampler over items that have several versions (augmented copies): every epoch each item ``i``
    is read in one version ``v``, drawn uniformly from its ``counts[i]`` versions with a generator seeded by
    ``(seed, epoch)``, by yielding the dataset index ``i + v * len(counts)`` (see ``UttDataset.__getitem__``).

    The draw happens here, in the main process, so it is the same with any number of loader workers and on every
    DDP rank; the batches themselves (and their order) are the wrapped sampler's.
    """

    def __init__(self, inner: DurationBucketBatchSampler, counts: Sequence[int], seed: int = 0) -> None:
        self.inner = inner
        self.counts = list(counts)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at each epoch start: new versions and a new batch order."""
        self.epoch = epoch
        self.inner.set_epoch(epoch)

    def versions(self) -> list[int]:
        """The version of every item in the current epoch."""
        rng = random.Random(f"{self.seed}-{self.epoch}-versions")
        return [rng.randrange(count) for count in self.counts]

    def __iter__(self) -> Iterator[list[int]]:
        versions, n = self.versions(), len(self.counts)
        for batch in self.inner:
            yield [i + versions[i] * n for i in batch]

    def __len__(self) -> int:
        return len(self.inner)
