"""Train/dev/test splits with no speaker and no source text shared between two splits."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def disjoint_split(
    items: Iterable[tuple[str, str | None, str]], dev_ratio: float, test_ratio: float, seed: int
) -> dict[str, str]:
    """Assign each ``(uttid, speaker or None, source_group)`` to "train", "dev" or "test".

    Utterances that share a speaker or a source group are connected; each connected component goes to one split,
    so no speaker and no source text crosses splits. Components are visited in a seeded hash order and given to
    the held-out split furthest below its target share that it fits in; all the rest go to train.
    """
    items = list(items)
    uf = _UnionFind()
    for uttid, speaker, group in items:
        uf.union(f"u:{uttid}", f"g:{group}")
        if speaker is not None:
            uf.union(f"u:{uttid}", f"s:{speaker}")
    components: dict[str, list[str]] = defaultdict(list)
    for uttid, _, _ in items:
        components[uf.find(f"u:{uttid}")].append(uttid)
    order = sorted(components, key=lambda root: hashlib.sha1(f"{seed}:{root}".encode()).hexdigest())
    total = len(items)
    targets = {"test": test_ratio * total, "dev": dev_ratio * total}
    counts = {"train": 0, "dev": 0, "test": 0}
    assignment: dict[str, str] = {}
    for root in order:
        members = components[root]
        # a held-out split takes a component only if it fits (a component larger than a target goes to train)
        deficits = {
            s: targets[s] - counts[s]
            for s in ("test", "dev")
            if targets[s] > 0 and counts[s] + len(members) <= max(1.0, targets[s])
        }
        split = max(deficits, key=lambda s: deficits[s] / max(targets[s], 1e-9)) if deficits else "train"
        counts[split] += len(members)
        for uttid in members:
            assignment[uttid] = split
    return assignment
