"""A language pair's grammar: sentence frames with typed slots, filled from a bilingual lexicon.

A frame is a list of parts. A part is fixed to one language (``[zh, "我{time_fut}要去"]``) or, in a congruent frame,
a constituent that either language may realise (``{zh: 我喝, en: I drink}``; a bare string is the same template in
both). A slot ``{category}`` is a lexicon entry of that category in the part's language; ``{category.field}`` a
form of it: the entry's own ``<lang>.<field>`` when it has one, else the matrix language's agreement table ``field``
looked up with the entry's gender ``g`` (``{doc.el}`` -> el/la), else (for fields the lexicon lists in
``same_as_base``) the entry's base form. The same slot twice in a frame is the same entry; ``{food@2}`` is a second,
different one. After filling, each language's sandhi rules (French/Italian elision, a/an, ...) rewrite a word by the
word that follows it; an elided form (ending in an apostrophe) must join a word of its own segment, else the filling
is dropped.

Frames per switch kind:
- insertion: fixed parts; the English parts are slots only (content words and phrases), so that function words and
  word order come from the matrix language (Myers-Scotton's matrix language frame).
- alternation: a clause of one language followed by a clause of the other, on one topic (the matrix clauses in
  ``frames/<pair>.yaml``, the English ones in ``frames/en.yaml``); the switch is the clause boundary.
- congruent: constituents in an order both languages share (only pairs whose basic word orders agree), each
  realised whole in one language; both languages occur. Switches thus fall only where both grammars agree
  (Poplack's equivalence constraint); a pronoun subject stays with its verb.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cstoolkit.errors import ConfigError
from cstoolkit.text.generate.data import DATA_DIR, ENGLISH, KINDS, languages, pair_languages, read_yaml
from cstoolkit.text.generate.measure import script_problem

SLOT = re.compile(r"\{([a-z_]+)(?:@(\d+))?(?:\.([A-Za-z_]+))?\}")


@dataclass(frozen=True)
class Rule:
    """A sandhi rule: ``word`` becomes ``form`` when the next word matches ``next``."""

    word: str
    next: re.Pattern[str]
    form: str


@dataclass(frozen=True)
class Frame:
    """One frame: its kind, a readable name, its parts (each a tuple of (lang, template) options) and the language
    choices of its parts that give a code-switched sentence."""

    kind: str
    name: str
    parts: tuple[tuple[tuple[str, str], ...], ...]
    choices: tuple[tuple[int, ...], ...] = field(default=((),))


@dataclass
class Grammar:
    """Lexicon + frames of one pair (:func:`load_grammar`)."""

    pair: str
    matrix: str
    lexicon: dict[str, list[dict[str, str]]]
    agree: dict[str, dict[str, str]]
    same_as_base: tuple[str, ...]
    sandhi: dict[str, tuple[Rule, ...]]
    frames: dict[str, list[Frame]]
    path: str = ""

    @property
    def kinds(self) -> list[str]:
        """The switch kinds this pair has frames for."""
        return [kind for kind in KINDS if self.frames.get(kind)]

    def form(self, entry: dict[str, str], lang: str, name: str | None) -> str:
        """The text of a slot: ``entry`` in ``lang``, form ``name`` (None: the base form). KeyError if it has none."""
        if name is None:
            return entry[lang]
        own = entry.get(f"{lang}.{name}")
        if own is not None:
            return own
        if lang == self.matrix:
            if name in self.agree:
                return self.agree[name][entry["g"]]
            if name in self.same_as_base:
                return entry[lang]
        raise KeyError(f"{lang}.{name}")

    def realise(self, frame: Frame, rng: random.Random) -> list[tuple[str, str]] | None:
        """Fill ``frame`` with entries drawn by ``rng``: its segments ``[(lang, text), ...]`` (neighbours may share
        a language; the first letter capitalised), or None when a sandhi rule would elide across a switch."""
        choice = frame.choices[rng.randrange(len(frame.choices))] if len(frame.choices) > 1 else frame.choices[0]
        parts = [options[choice[i] if choice else 0] for i, options in enumerate(frame.parts)]
        fills = self._draw(parts, rng)
        rendered = [
            (lang, SLOT.sub(lambda m, lang=lang: self.form(fills[(m[1], m[2] or "")], lang, m[3]), text))
            for lang, text in parts
        ]
        segments = self._sandhi(rendered)
        if segments is None:
            return None
        lang, text = segments[0]
        segments[0] = (lang, text[:1].upper() + text[1:])
        return segments

    def _draw(self, parts: list[tuple[str, str]], rng: random.Random) -> dict[tuple[str, str], dict[str, str]]:
        slots: dict[str, list[str]] = {}
        for _, text in parts:
            for match in SLOT.finditer(text):
                instances = slots.setdefault(match[1], [])
                if (match[2] or "") not in instances:
                    instances.append(match[2] or "")
        fills = {}
        for category, instances in slots.items():
            entries = self.lexicon[category]
            for instance, index in zip(instances, rng.sample(range(len(entries)), len(instances))):
                fills[(category, instance)] = entries[index]
        return fills

    def _sandhi(self, rendered: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
        tokens = [[lang, index, word] for index, (lang, text) in enumerate(rendered) for word in text.split()]
        i = 0
        while i < len(tokens) - 1:
            lang, index, word = tokens[i]
            for rule in self.sandhi.get(lang, ()):
                if word.lower() == rule.word and rule.next.match(tokens[i + 1][2]):
                    if rule.form.endswith("'"):
                        if tokens[i + 1][1] != index:
                            return None
                        tokens[i + 1][2] = rule.form + tokens[i + 1][2]
                        del tokens[i]
                        i -= 1
                    else:
                        tokens[i][2] = rule.form
                    break
            i += 1
        out: list[tuple[str, str]] = []
        for index, (lang, _) in enumerate(rendered):
            words = [t[2] for t in tokens if t[1] == index]
            if words:
                out.append((lang, " ".join(words)))
        return out


def grammar_paths(pair: str, data_dir: Path = DATA_DIR) -> tuple[Path, Path, Path]:
    """The lexicon, the frames of ``pair`` and the shared English clauses."""
    return data_dir / "lexicons" / f"{pair}.yaml", data_dir / "frames" / f"{pair}.yaml", data_dir / "frames" / "en.yaml"


@lru_cache(maxsize=32)
def _load(pair: str, data_dir: Path) -> Grammar:
    lex_path, frames_path, en_path = grammar_paths(pair, data_dir)
    lex, frames, english = read_yaml(lex_path), read_yaml(frames_path), read_yaml(en_path)
    matrix, _ = pair_languages(pair)
    langs = languages(data_dir)
    sandhi = {
        lang: tuple(Rule(r["word"], re.compile(r["next"], re.IGNORECASE), r["form"]) for r in rules)
        for lang, rules in {**english.get("sandhi", {}), **lex.get("sandhi", {})}.items()
    }
    grammar = Grammar(
        pair=pair,
        matrix=matrix,
        lexicon=lex["lexicon"],
        agree=lex.get("agree", {}),
        same_as_base=tuple(lex.get("same_as_base", ())),
        sandhi=sandhi,
        frames={},
        path=str(frames_path),
    )
    order_agrees = langs[matrix].order == langs[ENGLISH].order
    if frames.get("congruent") and not order_agrees:
        raise ConfigError(
            f"{frames_path}: congruent frames need word orders that agree; {matrix} is "
            f"{langs[matrix].order}, English {langs[ENGLISH].order}"
        )
    grammar.frames = {
        "insertion": [_fixed("insertion", f"insertion {i + 1}", parts) for i, parts in enumerate(frames["insertion"])],
        "alternation": _alternation(frames.get("alternation", {}), english.get("alternation", {}), matrix),
        "congruent": [_congruent(f"congruent {i + 1}", p, matrix) for i, p in enumerate(frames.get("congruent", []))],
    }
    _check(grammar, lex_path, frames_path, langs)
    return grammar


def load_grammar(pair: str, data_dir: str | Path = DATA_DIR) -> Grammar:
    """The grammar of ``pair`` (cached), checked: every slot of every frame resolves for every lexicon entry of its
    category, every lexicon word is written in its language's scripts, the English parts of insertion frames are
    slots only, and congruent frames exist only where the basic word orders agree. ConfigError naming the file."""
    return _load(pair, Path(data_dir))


def _fixed(kind: str, name: str, parts: list[list[str]]) -> Frame:
    return Frame(kind, name, tuple(((lang, text),) for lang, text in parts))


def _alternation(matrix_topics: dict[str, Any], en_topics: dict[str, Any], matrix: str) -> list[Frame]:
    frames = []
    for topic in [t for t in matrix_topics if t in en_topics]:
        clauses = {matrix: matrix_topics[topic], ENGLISH: en_topics[topic]}
        for first, second in ((matrix, ENGLISH), (ENGLISH, matrix)):
            for (i, a), (j, b) in itertools.product(
                enumerate(clauses[first]["first"]), enumerate(clauses[second]["second"])
            ):
                name = f"alternation {topic} {first}+{second} {i + 1}.{j + 1}"
                frames.append(Frame("alternation", name, (((first, a),), ((second, b),))))
    return frames


def _congruent(name: str, parts: list[Any], matrix: str) -> Frame:
    options = []
    for part in parts:
        if isinstance(part, str):
            options.append(((matrix, part), (ENGLISH, part)))
        elif isinstance(part, dict):
            options.append(tuple((lang, part[lang]) for lang in (matrix, ENGLISH)))
        else:
            options.append(((part[0], part[1]),))
    choices = tuple(
        choice
        for choice in itertools.product(*(range(len(o)) for o in options))
        if len({options[i][c][0] for i, c in enumerate(choice)}) == 2
    )
    return Frame("congruent", name, tuple(options), choices)


def _check(grammar: Grammar, lex_path: Path, frames_path: Path, langs: dict) -> None:
    pair_langs = (grammar.matrix, ENGLISH)
    for category, entries in grammar.lexicon.items():
        for number, entry in enumerate(entries, start=1):
            for key, value in entry.items():
                lang = key.split(".")[0]
                if lang in pair_langs and script_problem(value, langs[lang].scripts):
                    raise ConfigError(f"{lex_path}: {category} entry {number}: {key}={value!r} is not in {lang} script")
            if ENGLISH not in entry or grammar.matrix not in entry:
                raise ConfigError(f"{lex_path}: {category} entry {number} lacks {ENGLISH} or {grammar.matrix}")
    for kind, frames in grammar.frames.items():
        for frame in frames:
            for options in frame.parts:
                for lang, text in options:
                    if lang not in pair_langs:
                        raise ConfigError(f"{frames_path}: {frame.name}: language {lang!r} is not in {grammar.pair}")
                    if kind == "insertion" and lang == ENGLISH and SLOT.sub("", text).strip():
                        raise ConfigError(f"{frames_path}: {frame.name}: English parts of insertions are slots only")
                    _check_slots(grammar, frame, lang, text, frames_path)
            if kind == "insertion" and {o[0][0] for o in frame.parts} != set(pair_langs):
                raise ConfigError(f"{frames_path}: {frame.name} does not use both languages")


def _check_slots(grammar: Grammar, frame: Frame, lang: str, text: str, frames_path: Path) -> None:
    for match in SLOT.finditer(text):
        category, name = match[1], match[3]
        if category not in grammar.lexicon:
            raise ConfigError(f"{frames_path}: {frame.name}: no lexicon category {category!r}")
        for number, entry in enumerate(grammar.lexicon[category], start=1):
            try:
                grammar.form(entry, lang, name)
            except KeyError as err:
                raise ConfigError(
                    f"{frames_path}: {frame.name}: slot {match[0]} ({lang}) has no form for {category} entry "
                    f"{number} ({entry.get(ENGLISH)!r}): missing {err.args[0]}"
                ) from None
