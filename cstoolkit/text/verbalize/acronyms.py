"""Acronyms and all-caps words: read as a word when it is a known word (NASA, or one the caller knows), else letter
by letter in the segment's language. Mixed-case names (iPhone, YouTube, McDonald's) are never touched.

Letter by letter: English and languages of other scripts (a Latin acronym inside Chinese is read with English
letters) keep the capital letters, spaced (GPU -> G P U); German, French, Spanish and Italian write each letter's
name (GPU -> ge pe u in German and Spanish, gé pé u in French, gi pi u in Italian); Russian Cyrillic acronyms too
(США -> сэ шэ а). No maintained library lists the letter names, so they are data here.
"""

from __future__ import annotations

from collections.abc import Callable

_LATIN = "abcdefghijklmnopqrstuvwxyz"
#: letter names a-z, space separated ("_" joins a two-word name)
LETTER_NAMES = {
    "de": "a be ce de e ef ge ha i jot ka el em en o pe ku er es te u vau we ix ypsilon zett",
    "fr": "a bé cé dé e effe gé ache i ji ka elle emme enne o pé ku erre esse té u vé double_vé ixe i_grec zède",
    "es": "a be ce de e efe ge hache i jota ka ele eme ene o pe cu erre ese te u uve uve_doble equis ye zeta",
    "it": "a bi ci di e effe gi acca i i_lunga cappa elle emme enne o pi cu erre esse ti u vu doppia_vu ics ipsilon "
    "zeta",
}
_RUSSIAN_NAMES = "а бэ вэ гэ дэ е ё жэ зэ и й ка эль эм эн о пэ эр эс тэ у эф ха цэ чэ ша ща ы э ю я"
RUSSIAN_LETTERS = dict(zip("абвгдеёжзийклмнопрстуфхцчшщыэюя", _RUSSIAN_NAMES.split(), strict=True))
#: acronyms read as words in every language
_WORD_ACRONYMS = "nasa nato unesco unicef fifa opec covid laser radar scuba ikea asean nafta gif jpeg ram rom wifi"
WORD_ACRONYMS = frozenset(_WORD_ACRONYMS.split())


def is_acronym(word: str) -> bool:
    """True for an all-caps word of two or more letters (GPU, NYC, США); not for iPhone or a single capital."""
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and len(letters) == len(word) and word.isupper()


def read_acronym(word: str, lang: str, known: Callable[[str], bool] | None = None) -> str:
    """``word`` (all caps) as it is read in ``lang``: a known word in lower case (NASA -> nasa), else its letters."""
    lower = word.lower()
    if lower in WORD_ACRONYMS or (known is not None and known(lower)):
        return lower
    if all(ch in RUSSIAN_LETTERS for ch in lower):
        return " ".join(RUSSIAN_LETTERS[ch] for ch in lower)
    names = LETTER_NAMES.get(lang)
    if names is not None and all(ch in _LATIN for ch in lower):
        table = names.split()
        return " ".join(table[_LATIN.index(ch)].replace("_", " ") for ch in lower)
    return " ".join(word)
