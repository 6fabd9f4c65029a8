"""The sharded runner (cstoolkit.core.shards): nj=2 in spawned workers gives the merged result of nj=1."""

from __future__ import annotations

import time

import pytest

from cstoolkit.core.shards import merge_shards, run_shards

DIRS = {"a": list(range(7)), "b": list(range(3))}


def _toy_shard(scale: int, names: list[str], job: int, nj: int, device: str):
    """Per directory ``({item: value}, {item: reason}, count)`` of every ``nj``-th item from ``job``."""
    out = []
    for name in names:
        mine = [i for i in DIRS[name] if i % nj == job]
        done = {f"{name}{i}": i * scale for i in mine if i != 5}
        failed = {f"{name}{i}": f"five on {device}" for i in mine if i == 5}
        out.append((done, failed, len(mine)))
    return out


def _failing_shard(names: list[str], job: int, nj: int, device: str):
    if job == 1:
        raise ValueError(f"job {job} failed")
    time.sleep(60)  # ended when job 1 fails
    return [({}, {}, 0) for _ in names]


def test_merge_shards_merges_dicts_and_sums_numbers() -> None:
    parts = [[({"x": 1}, 2)], [({"y": 3}, 4)]]
    assert merge_shards(parts) == [({"x": 1, "y": 3}, 6)]
    assert list(merge_shards(parts)[0][0]) == ["x", "y"]  # in job order


def test_two_jobs_give_the_result_of_one() -> None:
    one = run_shards(_toy_shard, (10, ["a", "b"]), nj=1, device="cpu")
    two = run_shards(_toy_shard, (10, ["a", "b"]), nj=2, device="cpu", threads=1)
    assert len(one) == 1 and len(two) == 2
    merged_one, merged_two = merge_shards(one), merge_shards(two)
    assert merged_one == merged_two
    done, failed, count = merged_two[0]
    assert done == {f"a{i}": 10 * i for i in range(7) if i != 5}
    assert failed == {"a5": "five on cpu"} and count == 7
    assert merged_two[1] == ({"b0": 0, "b1": 10, "b2": 20}, {}, 3)


def test_the_error_of_a_job_is_raised_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(ValueError, match="job 1 failed"):
        run_shards(_failing_shard, (["a"],), nj=2, device="cpu")
    assert time.monotonic() - start < 40  # job 0 was not waited for
