"""Duration buckets: frame budget, full coverage, per-epoch shuffling, DDP sharding."""

from __future__ import annotations

import random

import pytest

from cstoolkit.data.sampler import DurationBucketBatchSampler
from cstoolkit.errors import ConfigError

LENGTHS = [random.Random(0).randint(50, 900) for _ in range(300)]
_rng = random.Random(0)
#: lengths that differ (LENGTHS are all equal: a new generator for each)
VARIED = [_rng.randint(50, 900) for _ in range(301)]


def test_every_item_once_within_the_frame_budget() -> None:
    s = DurationBucketBatchSampler(LENGTHS, max_frames=3000, max_batch_size=16, seed=1)
    batches = list(s)
    assert sorted(i for b in batches for i in b) == list(range(len(LENGTHS)))
    for b in batches:
        assert len(b) <= 16
        assert max(LENGTHS[i] for i in b) * len(b) <= 3000 or len(b) == 1
    # buckets hold similar lengths: the padding waste is small
    padded = sum(max(LENGTHS[i] for i in b) * len(b) for b in batches)
    assert sum(LENGTHS) / padded > 0.9


def test_order_changes_per_epoch_but_is_reproducible() -> None:
    s = DurationBucketBatchSampler(LENGTHS, 3000, 16, seed=1)
    s.set_epoch(0)
    e0 = list(s)
    s.set_epoch(1)
    e1 = list(s)
    assert e0 != e1 and sorted(map(tuple, e0)) == sorted(map(tuple, e1))
    s.set_epoch(0)
    assert list(s) == e0


@pytest.mark.parametrize("world", [2, 3, 4, 7])
@pytest.mark.parametrize("epoch", [0, 1])
def test_ddp_ranks_get_disjoint_equal_shares(world: int, epoch: int) -> None:
    shards = []
    for rank in range(world):
        sampler = DurationBucketBatchSampler(VARIED, 3000, 16, seed=1, rank=rank, world_size=world)
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
        assert len(shards[-1]) == len(sampler)  # what Lightning counts is what the rank reads
    assert len({len(s) for s in shards}) == 1  # the same step count on every rank
    read = [i for s in shards for b in s for i in b]
    assert sorted(read) == list(range(len(VARIED)))  # each utterance on exactly one rank, once
    for s in shards:
        for b in s:
            assert max(VARIED[i] for i in b) * len(b) <= 3000 or len(b) == 1  # halves keep the frame budget


def test_ddp_splits_the_largest_batches_instead_of_repeating_any() -> None:
    one = DurationBucketBatchSampler(VARIED, 3000, 16, seed=1)
    n = len(one.batches)
    assert n % 3 == 2  # (the case the split is for: a count that three ranks cannot share evenly)
    three = one.batches_for(3)
    assert len(three) == n + 1 and sorted(i for b in three for i in b) == list(range(len(VARIED)))
    largest = max(one.batches, key=len)
    assert largest not in three and largest[: len(largest) // 2] in three
    assert one.batches_for(1) == one.batches


def test_ddp_with_single_utterance_batches_repeats_only_what_it_must() -> None:
    shards = [list(DurationBucketBatchSampler([5, 6, 7], 5, 8, rank=r, world_size=2)) for r in range(2)]
    assert [len(s) for s in shards] == [2, 2]
    assert sorted(i for s in shards for b in s for i in b) == [0, 0, 1, 2]  # three utterances: the first twice


def test_overlong_item_gets_its_own_batch() -> None:
    assert [len(b) for b in DurationBucketBatchSampler([10, 10, 5000], 100, 8, shuffle=False)] == [2, 1]


def test_bad_budget_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        DurationBucketBatchSampler(LENGTHS, 0, 8)
