"""What a code-switched sentence is made of: its scoring units per language, its switch points, its code-mixing
index, and whether each segment is written in the script of its language.

Counting. Words are SAER's scoring units (:func:`cstoolkit.text.split_units` of :func:`cstoolkit.text.normalize`):
every character of an unspaced script (Han, Hiragana, Katakana, ...) is one unit, every other white-space-separated
run one unit (a Korean eojeol, a Hindi or Arabic word, a Latin or Cyrillic word). A unit belongs to the language of the
segment it comes from; a unit with no letter of any script (a number, a symbol) is language-independent.

Switch points are positions among those units: the 0-based index of the first unit after each language switch.
"我今天去 shopping mall 买东西" has units 我 今 天 去 | shopping mall | 买 东 西 and switch points (4, 6).

Code-mixing index (Das & Gambäck 2014): CMI = 100 * (1 - max_lang / (n - u)), n units, u language-independent units,
max_lang the units of the language with most of them; 0 when n == u. Two languages give 0 < CMI <= 50.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cstoolkit.text import UNSPACED_SCRIPTS, NormalizeOptions, normalize, script_of_char, split_units

#: how generated and external text is stored: NFKC and single spaces; case and punctuation kept
STORE = NormalizeOptions(nfkc=True, casefold=False, punctuation=False, whitespace=True)
_NEUTRAL_SCRIPTS = ("Common", "Inherited")


class SentenceRejected(ValueError):
    """A sentence that breaks a rule (the message is the reason, one line)."""


@dataclass(frozen=True)
class Analysis:
    """Units and measures of one sentence (see the module docstring for how units are counted)."""

    units: tuple[str, ...]
    unit_langs: tuple[str | None, ...]  # None: a language-independent unit
    switch_points: tuple[int, ...]
    cmi: float

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def switches(self) -> int:
        return len(self.switch_points)


def sentence_key(text: str) -> str:
    """What makes two sentences the same (duplicates, excluded sentences): the SAER-normalised text, so case,
    punctuation and spacing are ignored."""
    return normalize(text)


def store_text(text: str) -> str:
    """The stored form of a segment or sentence: NFKC, single spaces, no leading/trailing space."""
    return normalize(text, STORE)


def is_neutral_unit(unit: str) -> bool:
    """True for a unit without a letter of any script (digits, symbols): language-independent for the CMI."""
    return all(script_of_char(ch) in _NEUTRAL_SCRIPTS for ch in unit)


def code_mixing_index(unit_langs: list[str | None] | tuple[str | None, ...]) -> float:
    """CMI of a sentence from the language of each of its units (None: language-independent), rounded to 2 decimals."""
    counts = Counter(lang for lang in unit_langs if lang is not None)
    tagged = sum(counts.values())
    if not tagged:
        return 0.0
    return round(100.0 * (1.0 - max(counts.values()) / tagged), 2)


def script_problem(text: str, scripts: frozenset[str] | set[str]) -> str | None:
    """None when every letter of ``text`` is in one of ``scripts``; else the first foreign script's name."""
    for ch in text:
        name = script_of_char(ch)
        if name not in _NEUTRAL_SCRIPTS and name not in scripts:
            return name
    return None


def merge_segments(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Stored segments: texts normalised for storage, empty ones dropped, neighbours of one language joined (by a
    space, or directly between two characters of an unspaced script: 我喝 + 咖啡 -> 我喝咖啡)."""
    merged: list[tuple[str, str]] = []
    for lang, text in segments:
        text = store_text(text)
        if not text:
            continue
        if merged and merged[-1][0] == lang:
            left = merged[-1][1]
            unspaced = script_of_char(left[-1]) in UNSPACED_SCRIPTS and script_of_char(text[0]) in UNSPACED_SCRIPTS
            merged[-1] = (lang, left + ("" if unspaced else " ") + text)
        else:
            merged.append((lang, text))
    return merged


def analyse(segments: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> Analysis:
    """Units, switch points and CMI of merged segments (neighbouring segments differ in language)."""
    units: list[str] = []
    langs: list[str | None] = []
    points: list[int] = []
    for index, (lang, text) in enumerate(segments):
        seg_units = split_units(normalize(text))
        if index and lang != segments[index - 1][0]:
            points.append(len(units))
        units += seg_units
        langs += [None if is_neutral_unit(unit) else lang for unit in seg_units]
    return Analysis(tuple(units), tuple(langs), tuple(points), code_mixing_index(langs))


def check_segments(segments: list[tuple[str, str]], langs: tuple[str, str], scripts: dict[str, frozenset[str]]) -> None:
    """Raise SentenceRejected unless every segment is in one of ``langs``, has words, is written in the scripts of
    its language, and both languages occur."""
    for number, (lang, text) in enumerate(segments, start=1):
        if lang not in langs:
            raise SentenceRejected(f"segment {number}: language {lang!r} is not one of {langs[0]}, {langs[1]}")
        if not split_units(normalize(text)):
            raise SentenceRejected(f"segment {number} ({lang}) has no words")
        foreign = script_problem(text, scripts[lang])
        if foreign is not None:
            allowed = "/".join(sorted(scripts[lang]))
            raise SentenceRejected(f"segment {number} ({lang}) has {foreign} text; {lang} is written in {allowed}")
    present = {lang for lang, _ in segments}
    if len(present) < 2:
        raise SentenceRejected(f"only {next(iter(present), 'no language')}: not code-switched")
