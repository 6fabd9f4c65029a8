"""Seeded generation of code-switched sentences from the pair grammars, and the sentence records both generation
and external commands produce."""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cstoolkit.errors import ConfigError
from cstoolkit.text.generate.data import DATA_DIR, KINDS, available_pairs, check_kinds, check_pairs, languages
from cstoolkit.text.generate.grammar import Grammar, load_grammar
from cstoolkit.text.generate.measure import Analysis, analyse, check_segments, merge_segments, sentence_key

log = logging.getLogger(__name__)
#: short names of the kinds in utterance ids
KIND_CODES = {"insertion": "ins", "alternation": "alt", "congruent": "con"}


@dataclass(frozen=True)
class Settings:
    """What to generate: pairs, switch kinds, sentences per pair and kind, seed, length bounds (in scoring units,
    both inclusive) and the keys (:func:`~cstoolkit.text.generate.measure.sentence_key`) of excluded sentences.
    ``max_misses``: candidates in a row that may be rejected (duplicate, excluded, out of bounds) before a pair
    and kind is declared exhausted."""

    pairs: tuple[str, ...] | None = None  # None: every pair
    kinds: tuple[str, ...] = KINDS
    per_pair: int = 20
    seed: int = 0
    min_units: int = 3
    max_units: int = 40
    exclude: frozenset[str] = frozenset()
    max_misses: int = 2000

    def __post_init__(self) -> None:
        pairs = available_pairs() if self.pairs is None else self.pairs
        object.__setattr__(self, "pairs", tuple(check_pairs(pairs)))
        object.__setattr__(self, "kinds", tuple(check_kinds(self.kinds)))
        for name in ("per_pair", "min_units", "max_units", "max_misses"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name.replace('_', '-')} must be a whole number of at least 1, got {value!r}")
        if self.min_units > self.max_units:
            raise ConfigError(f"min-units {self.min_units} is larger than max-units {self.max_units}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": list(self.pairs),
            "kinds": list(self.kinds),
            "per_pair": self.per_pair,
            "seed": self.seed,
            "min_units": self.min_units,
            "max_units": self.max_units,
            "excluded_sentences": len(self.exclude),
        }


@dataclass(frozen=True)
class Sentence:
    """One code-switched sentence: its pair, switch kind, language segments and measures (switch points are unit
    positions, see :mod:`cstoolkit.text.generate.measure`)."""

    id: str
    pair: str
    kind: str
    segments: tuple[tuple[str, str], ...]
    analysis: Analysis
    source: str = ""  # the frame it was made from, or "command line N"

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.segments)

    @property
    def cmi(self) -> float:
        return self.analysis.cmi

    @property
    def switch_points(self) -> tuple[int, ...]:
        return self.analysis.switch_points

    def segment_dicts(self) -> list[dict[str, str]]:
        """The ``utt2seg.jsonl`` segments."""
        return [{"lang": lang, "text": text} for lang, text in self.segments]

    def to_dict(self) -> dict[str, Any]:
        """The ``sentences.jsonl`` record."""
        return {
            "id": self.id,
            "pair": self.pair,
            "kind": self.kind,
            "text": self.text,
            "segments": self.segment_dicts(),
            "switch_points": list(self.switch_points),
            "units": self.analysis.n_units,
            "cmi": self.cmi,
            "source": self.source,
        }


@dataclass
class Result:
    """Sentences made, per pair and kind what fell short, kinds that do not apply, what was skipped and (external
    commands) the rejected lines."""

    settings: Settings
    sentences: list[Sentence] = field(default_factory=list)
    shortfalls: list[dict[str, Any]] = field(default_factory=list)
    not_applicable: list[dict[str, str]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    source: str = "grammar"
    command: str | None = None

    def counts(self) -> dict[str, dict[str, int]]:
        """Sentences per pair and kind."""
        out: dict[str, dict[str, int]] = {pair: {} for pair in self.settings.pairs}
        for s in self.sentences:
            out.setdefault(s.pair, {})
            out[s.pair][s.kind] = out[s.pair].get(s.kind, 0) + 1
        return out


def applicable_kinds(pair: str, kinds: tuple[str, ...] | list[str] = KINDS) -> list[str]:
    """The kinds of ``kinds`` that ``pair``'s grammar can make (congruent only where word orders agree)."""
    grammar = load_grammar(pair)
    return [kind for kind in kinds if kind in grammar.kinds]


def not_applicable_reason(pair: str) -> str:
    matrix = pair.split("-")[0]
    langs = languages(DATA_DIR)
    return (
        f"{langs[matrix].name} is {langs[matrix].order}, English {langs['en'].order}: no shared word order for "
        "congruent lexicalisation"
    )


class Collector:
    """Accepts sentences: length bounds, excluded sentences, duplicates (of any pair), in order."""

    def __init__(self, settings: Settings, result: Result) -> None:
        self.settings = settings
        self.result = result
        self.seen: dict[str, str] = {}
        self.count: Counter = Counter()

    def problem(self, segments: list[tuple[str, str]], analysis: Analysis) -> tuple[str, str] | None:
        """``(counter, reason)`` when the sentence may not be kept, else None."""
        s = self.settings
        if analysis.n_units < s.min_units:
            return "too_short", f"too short: {analysis.n_units} units (min-units {s.min_units})"
        if analysis.n_units > s.max_units:
            return "too_long", f"too long: {analysis.n_units} units (max-units {s.max_units})"
        key = sentence_key(" ".join(text for _, text in segments))
        if key in s.exclude:
            return "excluded", "excluded sentence (in an --exclude file)"
        if key in self.seen:
            return "duplicate", f"duplicate of {self.seen[key]}"
        return None

    def keep(self, pair: str, kind: str, segments: list[tuple[str, str]], analysis: Analysis, source: str) -> None:
        self.count[(pair, kind)] += 1
        uttid = f"gen-{pair}-{KIND_CODES[kind]}-{self.count[(pair, kind)]:05d}"
        self.seen[sentence_key(" ".join(text for _, text in segments))] = source or uttid
        self.result.sentences.append(Sentence(uttid, pair, kind, tuple(segments), analysis, source))


def realise_checked(grammar: Grammar, frame, rng: random.Random, scripts) -> tuple[list, Analysis] | None:
    """A filled frame as merged segments + analysis; None when sandhi dropped it. A sentence breaking the script or
    switch rules is a bug in the data files (ConfigError naming the frame)."""
    raw = grammar.realise(frame, rng)
    if raw is None:
        return None
    segments = merge_segments(raw)
    try:
        check_segments(segments, (grammar.matrix, "en"), scripts)
    except ValueError as err:
        raise ConfigError(f"{grammar.path}: {frame.name} made {segments}: {err}") from None
    return segments, analyse(segments)


def generate(settings: Settings) -> Result:
    """Sentences of every pair and applicable kind of ``settings``: for each (pair, kind) a random stream seeded by
    (seed, pair, kind), so a pair's sentences do not depend on the other pairs asked for. A candidate is kept unless
    it is out of bounds, excluded or a duplicate; after ``max_misses`` rejected candidates in a row the pair and
    kind count as exhausted and the shortfall is logged and recorded."""
    result = Result(settings)
    collector = Collector(settings, result)
    langs = languages(DATA_DIR)
    for pair in settings.pairs:
        grammar = load_grammar(pair)
        scripts = {code: langs[code].scripts for code in (grammar.matrix, "en")}
        if not applicable_kinds(pair, settings.kinds):
            log.warning("%s: none of the switch kinds asked for applies (%s)", pair, not_applicable_reason(pair))
        for kind in settings.kinds:
            if kind not in grammar.kinds:
                result.not_applicable.append({"pair": pair, "kind": kind, "reason": not_applicable_reason(pair)})
                continue
            rng = random.Random(f"cstk-generate-text|{settings.seed}|{pair}|{kind}")
            frames = grammar.frames[kind]
            made = misses = 0
            while made < settings.per_pair and misses < settings.max_misses:
                frame = frames[rng.randrange(len(frames))]
                filled = realise_checked(grammar, frame, rng, scripts)
                if filled is None:
                    result.skipped["sandhi"] += 1
                    misses += 1
                    continue
                segments, analysis = filled
                problem = collector.problem(segments, analysis)
                if problem is not None:
                    result.skipped[problem[0]] += 1
                    misses += 1
                    continue
                collector.keep(pair, kind, segments, analysis, frame.name)
                made += 1
                misses = 0
            if made < settings.per_pair:
                add_shortfall(
                    result,
                    pair,
                    kind,
                    made,
                    f"{misses} candidates in a row were duplicates, excluded or "
                    "out of the length bounds: the grammar has no more distinct sentences of this kind",
                )
    return result


def add_shortfall(result: Result, pair: str, kind: str, made: int, reason: str) -> None:
    """Record and log that ``pair``/``kind`` got fewer than --per-pair sentences."""
    asked = result.settings.per_pair
    result.shortfalls.append({"pair": pair, "kind": kind, "asked": asked, "made": made, "reason": reason})
    log.warning("%s %s: only %d distinct sentences of the %d asked for (%s)", pair, kind, made, asked, reason)
