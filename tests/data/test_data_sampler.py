"""Duration buckets: frame budget, full coverage, per-epoch shuffling, DDP sharding."""

from __future__ import annotations

import random

import pytest

from cstoolkit.data.sampler import DurationBucketBatchSampler
from cstoolkit.errors import ConfigError

LENGTHS = [random.Random(0).randint(50, 900) for _ in range(300)]


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


def test_ddp_ranks_get_disjoint_equal_shares() -> None:
    shards = [list(DurationBucketBatchSampler(LENGTHS, 3000, 16, seed=1, rank=r, world_size=3)) for r in range(3)]
    assert len({len(s) for s in shards}) == 1
    assert len(shards[0]) == len(DurationBucketBatchSampler(LENGTHS, 3000, 16, rank=0, world_size=3))
    covered = {i for s in shards for b in s for i in b}
    assert covered == set(range(len(LENGTHS)))


def test_overlong_item_gets_its_own_batch() -> None:
    assert [len(b) for b in DurationBucketBatchSampler([10, 10, 5000], 100, 8, shuffle=False)] == [2, 1]


def test_bad_budget_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        DurationBucketBatchSampler(LENGTHS, 0, 8)
