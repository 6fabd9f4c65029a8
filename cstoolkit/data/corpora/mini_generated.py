"""Sentences of the generated demo world: the code-switched text generator's frames, split into seen and held-out.

For every pair the generator's frames (:mod:`cstoolkit.text.generate`) are split, per switch kind and seeded, into
*seen* frames (train, dev and test sentences come from them) and *held-out* frames (``test_novel``: structures no
model heard). An insertion or congruent frame is held out as a whole; an alternation frame is the pairing of two
clauses, so its clauses are what is held out: a frame with a held-out clause is held out, and every clause of a
seen alternation frame occurs only in seen frames (an English clause is held out in every pair alike).

The generator makes one pool of distinct sentences per pair (its duplicate check, on SAER-normalised text, keeps
every sentence of the pool apart from every other), the pool is split by the frame each sentence came from, and
each split takes its sentences from its side, balanced over the switch kinds: dev, test, then train from the seen
side (sentences never in train), ``test_novel`` from the held-out side; train sentences first cover the scoring
units of dev and test, so that these are new sentences of known words, and ``test_novel`` prefers, within each
switch kind, held-out sentences whose words train has (new structures of known words, as far as the held-out
frames allow). The generator has no way to be asked for
some frames only, so the pool is made of all frames and grows (doubling) until both sides hold enough sentences or
the grammar runs out.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cstoolkit.errors import ConfigError
from cstoolkit.text import normalize, split_units
from cstoolkit.text.generate import Sentence as Generated
from cstoolkit.text.generate import Settings, applicable_kinds, generate, load_grammar

#: the splits of the generated world, in the order they are drawn from a pair's pool
GENERATED_SPLITS = ("train", "dev", "test", "test_novel")


@dataclass(frozen=True)
class Chosen:
    """One generated sentence chosen for a split, with the frame and switch kind it came from."""

    sentence: Generated
    key: str  # the sentence's name in utterance ids, unique within its pair (``ins00012``)

    @property
    def frame(self) -> str:
        return self.sentence.source

    @property
    def kind(self) -> str:
        return self.sentence.kind


@dataclass
class PairSelection:
    """A pair's frame split and the sentences of each split."""

    pair: str
    seen: dict[str, list[str]]  # kind -> frame names
    held_out: dict[str, list[str]]
    held_out_structures: dict[str, list[str]]  # kind -> held-out frames (insertion, congruent) or clauses
    splits: dict[str, list[Chosen]]
    pool: dict[str, int]  # sentences made, and how many came from seen and held-out frames

    def record(self) -> dict[str, Any]:
        """The frame split as ``prepare_report.json`` keeps it."""
        return {
            "seen_frames": {kind: len(names) for kind, names in self.seen.items()},
            "held_out_frames": {kind: len(names) for kind, names in self.held_out.items()},
            "held_out": self.held_out_structures,
            "pool": self.pool,
        }


def structures(frame: Any) -> list[str]:
    """What holds a frame out: each of its clauses for an alternation frame, else the frame itself."""
    if frame.kind == "alternation":
        return [f"{lang}: {text}" for options in frame.parts for lang, text in options]
    return [frame.name]


def scope(pair: str, kind: str, unit: str) -> str:
    """Where a structure belongs: English alternation clauses to every pair (all share ``frames/en.yaml``, so one
    held out is held out everywhere and no pair's train speaks it), anything else to its pair."""
    return "en" if kind == "alternation" and unit.startswith("en: ") else pair


def split_frames(pair: str, kinds: list[str], share: float, seed: int) -> tuple[dict, dict, dict]:
    """Per kind: seen frame names, held-out frame names and the held-out structures (seeded by seed and scope).

    Of each kind's n structures of one :func:`scope`, ``round(share * n)`` are held out, at least one and never
    all when ``share > 0`` and n >= 2 (one structure stays seen). ConfigError when a kind is left without a seen
    frame.
    """
    grammar = load_grammar(pair)
    seen: dict[str, list[str]] = {}
    held: dict[str, list[str]] = {}
    held_structures: dict[str, list[str]] = {}
    for kind in kinds:
        frames = grammar.frames[kind]
        groups: dict[str, list[str]] = {}
        for unit in sorted({unit for frame in frames for unit in structures(frame)}):
            groups.setdefault(scope(pair, kind, unit), []).append(unit)
        out: set[str] = set()
        for where, units in groups.items():
            count = min(len(units) - 1, max(1, round(share * len(units)))) if share > 0 and len(units) >= 2 else 0
            out.update(random.Random(f"cstk-mini-frames|{seed}|{where}|{kind}").sample(units, count))
        held[kind] = [f.name for f in frames if out.intersection(structures(f))]
        seen[kind] = [f.name for f in frames if not out.intersection(structures(f))]
        held_structures[kind] = sorted(out)
        if not seen[kind]:
            raise ConfigError(
                f"pair {pair}: holding out {len(out)} {kind} structures leaves no seen {kind} frame; "
                "lower data.mini.generated.held_out"
            )
    return seen, held, held_structures


def interleave(sentences: list[Generated], kinds: list[str], rng: random.Random) -> list[Generated]:
    """``sentences`` shuffled within each kind, then taken one kind after the other (balanced over kinds)."""
    by_kind = {kind: [s for s in sentences if s.kind == kind] for kind in kinds}
    for group in by_kind.values():
        rng.shuffle(group)
    return in_turn(by_kind)


def in_turn(groups: dict[str, list[Generated]]) -> list[Generated]:
    """The first of every group, then the second of every group, ... (groups that run out are passed over)."""
    out = []
    for index in range(max(map(len, groups.values()), default=0)):
        out += [group[index] for group in groups.values() if index < len(group)]
    return out


def units_of(sentence: Generated) -> frozenset[str]:
    """The distinct scoring units of a sentence."""
    return frozenset(split_units(normalize(sentence.text)))


def assign(order: list[Generated], counts: dict[str, int]) -> dict[str, list[Generated]]:
    """Dev, test and train sentences from ``order`` (the seen side, balanced over kinds), as the templates source
    does: dev/test take the first sentences whose every unit occurs in another sentence left for train, train first
    covers the units of dev/test (greedy) and then follows ``order``. Units that train cannot cover stay unseen
    (``units_not_in_train`` of the report)."""
    units = {s.id: units_of(s) for s in order}
    left = Counter(unit for s in order for unit in units[s.id])
    held: list[Generated] = []
    pool: list[Generated] = []
    for sentence in order:
        if len(held) < counts["dev"] + counts["test"] and all(left[u] > 1 for u in units[sentence.id]):
            held.append(sentence)
            left.subtract(units[sentence.id])
        else:
            pool.append(sentence)
    missing = set().union(*(units[s.id] for s in held))
    train: list[Generated] = []
    while missing and len(train) < counts["train"]:
        best = max(pool, key=lambda s: len(units[s.id] & missing), default=None)
        if best is None or not units[best.id] & missing:
            break
        train.append(best)
        pool.remove(best)
        missing -= units[best.id]
    train += pool[: counts["train"] - len(train)]
    return {"train": train, "dev": held[: counts["dev"]], "test": held[counts["dev"] :]}


def known_words_first(candidates: list[Generated], train: list[Generated], kinds: list[str]) -> list[Generated]:
    """``candidates`` ranked within each switch kind by how many of their scoring units ``train`` never heard (a
    stable sort), then taken one kind after the other as :func:`interleave` does: ``test_novel`` is new structures
    of known words as far as the held-out frames allow, and stays balanced over the kinds."""
    heard = set().union(*(units_of(s) for s in train))
    ranked = sorted(candidates, key=lambda s: len(units_of(s) - heard))
    return in_turn({kind: [s for s in ranked if s.kind == kind] for kind in kinds})


def sentence_key(sentence: Generated) -> str:
    """``gen-zh-en-ins-00012`` -> ``ins00012`` (the pair is already in the utterance id)."""
    return sentence.id.removeprefix(f"gen-{sentence.pair}-").replace("-", "")


def select_pair(pair: str, gen: dict[str, Any], seed: int) -> PairSelection:
    """The frame split and the sentences of every split for one pair (``gen``: ``data.mini.generated``)."""
    counts = {split: int(gen[f"{split}_sentences"]) for split in GENERATED_SPLITS}
    kinds = applicable_kinds(pair, tuple(gen["kinds"]))
    if not kinds:
        raise ConfigError(f"pair {pair}: none of data.mini.generated.kinds={list(gen['kinds'])} applies")
    seen, held, held_structures = split_frames(pair, kinds, float(gen["held_out"]), seed)
    if counts["test_novel"] and not any(held.values()):
        raise ConfigError(f"pair {pair}: test_novel needs held-out frames; raise data.mini.generated.held_out")
    seen_names = {name for names in seen.values() for name in names}
    need_seen = counts["train"] + counts["dev"] + counts["test"]
    per_kind = max(20, math.ceil(1.5 * (need_seen + counts["test_novel"]) / len(kinds)))
    while True:
        settings = Settings(
            pairs=(pair,),
            kinds=tuple(kinds),
            per_pair=per_kind,
            seed=seed,
            min_units=int(gen["min_units"]),
            max_units=int(gen["max_units"]),
        )
        result = generate(settings)
        from_seen = [s for s in result.sentences if s.source in seen_names]
        from_held = [s for s in result.sentences if s.source not in seen_names]
        enough = len(from_seen) >= need_seen and len(from_held) >= counts["test_novel"]
        if enough or result.shortfalls:
            break
        per_kind *= 2
    if not enough:
        raise ConfigError(
            f"pair {pair}: the grammar gives {len(from_seen)} distinct sentences of seen frames and "
            f"{len(from_held)} of held-out frames; data.mini.generated asks for {need_seen} "
            f"(train + dev + test) and {counts['test_novel']} (test_novel)"
        )
    rng = random.Random(f"cstk-mini-sentences|{seed}|{pair}")
    splits = assign(interleave(from_seen, kinds, rng), counts)
    held_order = interleave(from_held, kinds, rng)
    splits["test_novel"] = known_words_first(held_order, splits["train"], kinds)[: counts["test_novel"]]
    short = [
        f"{split} {len(splits[split])} of {counts[split]}" for split in counts if len(splits[split]) < counts[split]
    ]
    if short:
        raise ConfigError(f"pair {pair}: too few sentences for data.mini.generated ({', '.join(short)})")
    return PairSelection(
        pair=pair,
        seen=seen,
        held_out=held,
        held_out_structures=held_structures,
        splits={split: [Chosen(s, sentence_key(s)) for s in splits[split]] for split in GENERATED_SPLITS},
        pool={
            "per_kind": per_kind,
            "sentences": len(result.sentences),
            "seen": len(from_seen),
            "held_out": len(from_held),
        },
    )


def select_generated(cfg: dict[str, Any]) -> dict[str, PairSelection]:
    """The selection of every pair of the mini config (``cfg``: the merged ``data`` + ``data.mini`` settings)."""
    return {pair: select_pair(pair, cfg["generated"], int(cfg["seed"])) for pair in cfg["pairs"]}
