"""Code-switched text as people read it: numbers, dates, clock times, percentages, currency amounts and acronyms
written out in the language of the segment they sit in.

>>> verbalize("I have 3 meetings", "en")
'I have three meetings'
>>> normalize_text("我有 3 个 meeting 在 2025 年", "zh-en").text
'我有 三 个 meeting 在 二零二五 年'

:func:`normalize_text` first gives every word a language of the pair (:func:`cstoolkit.text.langs.assign_languages`:
a number takes the language of the word it counts), then reads each segment in its language
(:func:`verbalize_segments`). num2words reads numbers in en, de, fr, es, it, ru, ar, ja and ko; Chinese, Cantonese and
Hindi numerals, Korean native numerals, the clock, date, percent and currency formats and the letter names are
written here (see each module). Everything is deterministic and offline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from cstoolkit.text.langs import Assignment, assign_languages
from cstoolkit.text.verbalize.numbers import LANGUAGES
from cstoolkit.text.verbalize.rules import verbalize


def verbalize_segments(
    segments: Sequence[Mapping[str, str]], known: Callable[[str], bool] | None = None
) -> list[dict[str, str]]:
    """Each ``{"lang", "text"}`` segment read in its language (a language outside :data:`LANGUAGES` is left
    as written)."""
    return [
        {"lang": s["lang"], "text": verbalize(s["text"], s["lang"], known) if s["lang"] in LANGUAGES else s["text"]}
        for s in segments
    ]


def normalize_text(
    text: str | Sequence[Mapping[str, str | None]],
    lang: str | None = None,
    known: Callable[[str], bool] | None = None,
    lexicon: Mapping[str, frozenset[str] | set[str]] | None = None,
) -> Assignment:
    """The text front end: languages assigned (pair ``lang``, e.g. ``zh-en``; inline tags win), then each segment
    verbalised. ``known``: whether a lower-cased all-caps word is a word (read, not spelled)."""
    assigned = assign_languages(text, lang, lexicon)
    return Assignment(verbalize_segments(assigned.segments, known), assigned.foreign)


__all__ = ["LANGUAGES", "normalize_text", "verbalize", "verbalize_segments"]
