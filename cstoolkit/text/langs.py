"""Language assignment that never gives up: every word of a code-switched text gets a language of its pair.

Order of evidence, per untagged word: inline tags win (``<es>vamos al</es> mall``); then the script (Han -> zh, yue
or ja, whichever the pair has; Hangul -> ko; Cyrillic -> ru ...); for a Latin word in a pair of two Latin-script
languages (es-en, de-en, fr-en, it-en) the pair's lexicon (the generator's words, or ``lexicon`` given), then
letters English does not write (ñ, é, ß), then English; an all-caps acronym no lexicon has (GPU) takes its
neighbours' language there. A word with no letter (a number, a symbol) takes the language of the next word (the one
it counts: "3 个", "3 meetings"), else the previous one's. A word of a third script gets the pair's first (matrix)
language and is reported in ``foreign`` with its script. No word is ever left ``und``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import regex

from cstoolkit.text.lang_markup import split_language_tags
from cstoolkit.text.scripts import script_of_char

#: language -> the script that marks it (Latin-script languages absent)
LANG_SCRIPT = {
    "ar": "Arabic",
    "hi": "Devanagari",
    "ja": "Hiragana",
    "ko": "Hangul",
    "ru": "Cyrillic",
    "zh": "Han",
    "yue": "Han",
}
SCRIPT_LANG = {
    "Arabic": "ar",
    "Devanagari": "hi",
    "Hiragana": "ja",
    "Katakana": "ja",
    "Hangul": "ko",
    "Cyrillic": "ru",
    "Han": "zh",
}
#: languages written in Latin script
LATIN_LANGS = ("en", "de", "fr", "es", "it")
#: characters that occur in written Cantonese and (practically) never in Mandarin
CANTONESE_MARKERS = frozenset("嘅唔咗係佢嘢冇啲喺哋嚟乜嗰啱睇攞俾咁噉")
ENGLISH = "en"
#: frequent function words of the Latin-script matrix languages (added to any lexicon)
FUNCTION_WORDS = {
    "es": frozenset(str.split("el la los las un una del al de en y que con por para mi tu su muy pero")),
    "fr": frozenset(str.split("le la les un une des du au aux de et que avec pour mon ton son très mais")),
    "de": frozenset(str.split("der die das den dem ein eine einen und mit für von zum zur ich du mein sehr aber")),
    "it": frozenset(str.split("il lo la gli le un una del della al alla di e con per mio molto ma")),
}
_NEUTRAL = frozenset({"Common", "Inherited", "Other"})
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz'’-")


@dataclass
class Assignment:
    """Language segments of a text (``{"lang", "text"}``, neighbours of one language joined) and the words of a
    third script as ``(word, script)``."""

    segments: list[dict[str, str]]
    foreign: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The segment texts joined by spaces."""
        return " ".join(s["text"] for s in self.segments)


def pair_languages(lang: str | None, text: str = "") -> tuple[str, ...]:
    """The languages of a ``utt2lang``-style value (``es-en`` -> (es, en); ``zh`` -> (zh, en)); None: the languages
    the scripts of ``text`` reveal, with English."""
    if lang:
        parts = tuple(p for p in lang.strip().split("-") if p)
        if len(parts) == 1 and parts[0] != ENGLISH:
            parts += (ENGLISH,)
        return parts or (ENGLISH,)
    found = {script_language(s, (), text) for s in map(script_of_char, text) if s in SCRIPT_LANG}
    return (*sorted(found - {ENGLISH}), ENGLISH)


def script_language(script: str, pair: Sequence[str], text: str = "") -> str:
    """The language a script marks within ``pair`` (Han: zh, yue or ja, whichever the pair has; with no pair, yue
    when ``text`` has Cantonese characters)."""
    if script in ("Han", "Hiragana", "Katakana"):
        for lang in ("ja", "yue", "zh"):
            if lang in pair:
                return lang
        if script != "Han":
            return "ja"
        return "yue" if any(ch in CANTONESE_MARKERS for ch in text) else "zh"
    return SCRIPT_LANG.get(script, "")


def _pieces(text: str) -> list[tuple[str, str | None, bool]]:
    """``(piece, script or None for no letter, space before)``: white-space words split where the letter script
    changes (去shopping -> 去 + shopping; digits and marks stay with the letters before them)."""
    out: list[tuple[str, str | None, bool]] = []
    for match in regex.finditer(r"\S+", text):
        word, start = match.group(0), match.start()
        current, script, spaced = "", None, True
        for ch in word:
            name = script_of_char(ch)
            name = None if name in _NEUTRAL else name
            if name is not None and script is not None and name != script:
                out.append((current, script, spaced))
                current, spaced = "", False
            script = name or script
            current += ch
        out.append((current, script, spaced if start or out else True))
    return out


def assign_languages(
    text: str | Sequence[Mapping[str, str | None]],
    lang: str | None = None,
    lexicon: Mapping[str, frozenset[str] | set[str]] | None = None,
) -> Assignment:
    """Segments of ``text`` (a string, inline tags allowed, or ``{"lang", "text"}`` segments with ``lang`` None for
    untagged ones), each with a language of the pair ``lang`` (``es-en``; None: from the scripts). ``lexicon``:
    ``{lang: words}`` for Latin-script pairs (default: the generator's words of the pair)."""
    if isinstance(text, str):
        plain, tagged = split_language_tags(text)
        segments: Sequence[Mapping[str, str | None]] = tagged or [{"lang": None, "text": plain}]
    else:
        segments = text
        plain = " ".join(str(s["text"]) for s in segments)
    pair = pair_languages(lang, plain)
    if lexicon is None and sum(p in LATIN_LANGS for p in pair) > 1:
        from cstoolkit.text.generate.vocabulary import pair_vocabulary

        lexicon = pair_vocabulary("-".join(pair))
    words: list[tuple[str, str | None, bool]] = []  # (text, lang or None for no letter, space before)
    foreign: list[tuple[str, str]] = []
    for seg in segments:
        if seg.get("lang"):
            words.append((str(seg["text"]).strip(), str(seg["lang"]), True))
            continue
        previous: str | None = None
        for piece, script, spaced in _pieces(str(seg["text"])):
            found = None if script is None else _word_language(piece, script, pair, lexicon or {}, previous, foreign)
            previous = found or previous
            words.append((piece, found, spaced))
    return Assignment(_merge(_fill_neutral(words, pair)), foreign)


def _word_language(
    word: str,
    script: str,
    pair: Sequence[str],
    lexicon: Mapping[str, frozenset[str] | set[str]],
    previous: str | None,
    foreign: list[tuple[str, str]],
) -> str | None:
    """The language of one word with letters of ``script`` (None: an acronym that takes its neighbours')."""
    if script == "Latin":
        latin = [p for p in pair if p in LATIN_LANGS]
        if len(latin) == 1:
            return latin[0]
        if not latin:
            foreign.append((word, script))
            return ENGLISH
        key = regex.sub(r"[^\p{L}\p{M}'’-]", "", word).casefold()
        hits = [p for p in latin if key in lexicon.get(p, ()) or key in FUNCTION_WORDS.get(p, ())]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1 and previous in hits:
            return previous
        if len(hits) == 0 and len(key) > 1 and word.isupper() and word.isalpha():
            return previous or None  # an acronym (GPU) of a Latin pair: read in its sentence's language
        if not set(key) <= _ASCII_LETTERS:
            return next((p for p in latin if p != ENGLISH), latin[0])
        return ENGLISH if ENGLISH in latin else latin[0]
    found = script_language(script, pair, word)
    if found in pair:
        return found
    foreign.append((word, script))
    return pair[0]


def _fill_neutral(words: list[tuple[str, str | None, bool]], pair: Sequence[str]) -> list[tuple[str, str, bool]]:
    """Words without letters take the next word's language, else the previous one's, else the matrix language."""
    out: list[tuple[str, str, bool]] = []
    for i, (word, lang, spaced) in enumerate(words):
        if lang is None:
            after = next((w[1] for w in words[i + 1 :] if w[1] is not None), None)
            before = out[-1][1] if out else None
            lang = after or before or pair[0]
        out.append((word, lang, spaced))
    return out


def _merge(words: list[tuple[str, str, bool]]) -> list[dict[str, str]]:
    segments: list[dict[str, str]] = []
    for word, lang, spaced in words:
        if not word:
            continue
        if segments and segments[-1]["lang"] == lang:
            segments[-1]["text"] += (" " if spaced else "") + word
        else:
            segments.append({"lang": lang, "text": word})
    return segments
