"""Language tags from Unicode scripts: which language a transcript is in, and word-level segments by script.

Used where a corpus gives no segment tags (SwitchLingua): English is written in Latin script, the matrix
languages Arabic, Hindi, Japanese, Korean, Mandarin, Cantonese and Russian in scripts of their own. For French,
German, Italian and Spanish the script cannot tell the languages apart; those words are tagged ``und`` here, and
the TTS front end gives them a language of the pair (:func:`cstoolkit.text.langs.assign_languages`, whose script
tables these are).
"""

from __future__ import annotations

from cstoolkit.text import script_of_char
from cstoolkit.text.langs import CANTONESE_MARKERS, LANG_SCRIPT, SCRIPT_LANG

UNDETERMINED = "und"
_NEUTRAL = {"Common", "Inherited", "Other"}


def scripts_in(text: str) -> set[str]:
    """The letter scripts used in ``text`` (digits, punctuation and marks left out)."""
    return {s for s in map(script_of_char, text) if s not in _NEUTRAL}


def languages_by_script(text: str) -> set[str]:
    """Matrix languages that the scripts of ``text`` reveal (Han alone: ``zh``, or ``yue`` with Cantonese marks)."""
    scripts = scripts_in(text)
    langs = {SCRIPT_LANG[s] for s in scripts if s in SCRIPT_LANG}
    if "ja" in langs:
        langs.discard("zh")  # kanji are part of Japanese
    if "zh" in langs and any(ch in CANTONESE_MARKERS for ch in text):
        langs = (langs - {"zh"}) | {"yue"}
    return langs


def compatible(lang: str, text: str) -> bool:
    """True when ``text`` can be in ``lang`` mixed with English (its script is there, or it is a Latin language)."""
    found = languages_by_script(text)
    if lang not in LANG_SCRIPT:
        return not found
    if lang in ("zh", "yue"):
        return found <= {"zh", "yue"} and bool(found)
    return found == {lang}


def _class(char: str, matrix: str) -> str | None:
    """Segment language of one character, or None for neutral characters (spaces, digits, punctuation)."""
    script = script_of_char(char)
    if script in _NEUTRAL:
        return None
    if script == "Latin":
        return "en" if matrix in LANG_SCRIPT else UNDETERMINED
    return matrix


def segment_by_script(text: str, matrix: str) -> list[dict[str, str]]:
    """Split a transcript into language runs: ``[{"lang": "zh", "text": "我今天去"}, {"lang": "en", ...}]``.

    Neutral characters join the run they follow; a script change inside a word ("去shopping") starts a new run.
    The segment texts joined by single spaces give the transcript with a space at every such change.
    """
    segments: list[dict[str, str]] = []
    current: list[str] = []
    lang: str | None = None
    for char in text:
        cls = _class(char, matrix)
        if cls is not None and lang is not None and cls != lang:
            segments.append({"lang": lang, "text": "".join(current).strip()})
            current = []
        if cls is not None:
            lang = cls
        current.append(char)
    if current and "".join(current).strip():
        segments.append({"lang": lang or UNDETERMINED, "text": "".join(current).strip()})
    return [s for s in segments if s["text"]]
