"""Unicode script detection for characters and units (Python's unicodedata has no script property)."""

from __future__ import annotations

from functools import lru_cache

import regex

#: Scripts written without spaces between words: each character is a unit in ``mixed`` mode.
UNSPACED_SCRIPTS: tuple[str, ...] = (
    "Han",
    "Hiragana",
    "Katakana",
    "Thai",
    "Lao",
    "Khmer",
    "Myanmar",
    "Tibetan",
)

#: Scripts we name in breakdowns; any other letter is reported as "Other".
KNOWN_SCRIPTS: tuple[str, ...] = (
    "Latin",
    "Han",
    "Hiragana",
    "Katakana",
    "Hangul",
    "Arabic",
    "Devanagari",
    "Cyrillic",
    "Greek",
    "Hebrew",
    "Thai",
    "Lao",
    "Khmer",
    "Myanmar",
    "Tibetan",
    "Bengali",
    "Gurmukhi",
    "Gujarati",
    "Oriya",
    "Tamil",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Sinhala",
    "Georgian",
    "Armenian",
    "Ethiopic",
    "Bopomofo",
    "Thaana",
    "Syriac",
)

COMMON = "Common"
_NEUTRAL = ("Common", "Inherited")
_SCRIPT_PATTERN = regex.compile("|".join(rf"(?P<{name}>\p{{sc={name}}})" for name in (*KNOWN_SCRIPTS, *_NEUTRAL)))
_SCX_PATTERNS = {name: regex.compile(rf"\p{{scx={name}}}") for name in KNOWN_SCRIPTS}


def is_known_script(name: str) -> bool:
    """True when ``name`` is a script this module can detect (case-sensitive Unicode name, e.g. "Hangul")."""
    return name in KNOWN_SCRIPTS


@lru_cache(maxsize=65536)
def script_of_char(char: str) -> str:
    """Unicode script of one character: "Han", "Latin", ..., "Common" (digits, symbols), "Inherited" or "Other".

    A "Common" character used by exactly some scripts (the Japanese prolonged sound mark "ー", used by Hiragana and
    Katakana) gets the first of those scripts, so that it is counted with the text around it.
    """
    match = _SCRIPT_PATTERN.match(char)
    if match is None:
        return "Other"
    name = match.lastgroup or "Other"
    if name in _NEUTRAL:
        for candidate in ("Katakana", "Hiragana", "Han"):
            if _SCX_PATTERNS[candidate].match(char):
                return candidate
    return name


@lru_cache(maxsize=262144)
def script_of_unit(unit: str) -> str:
    """Script of a unit: the script of its first character that is not Common/Inherited, else "Common"."""
    for char in unit:
        name = script_of_char(char)
        if name not in _NEUTRAL:
            return name
    return COMMON
