"""The words of a language pair, by language, from the generator's lexicon and frames: what language assignment
(:func:`cstoolkit.text.langs.assign_languages`) looks a Latin-script word up in when both languages of a pair are
written in Latin script (es-en, de-en, fr-en, it-en)."""

from __future__ import annotations

from functools import lru_cache

import regex

from cstoolkit.text.generate.data import available_pairs
from cstoolkit.text.generate.grammar import SLOT, load_grammar

_WORD = regex.compile(r"[\p{L}\p{M}'’]+")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(SLOT.sub(" ", text))}


@lru_cache(maxsize=16)
def pair_vocabulary(pair: str) -> dict[str, frozenset[str]]:
    """``{lang: words}`` of ``pair`` (lower case); empty for a pair the generator does not have."""
    if pair not in available_pairs():
        return {}
    grammar = load_grammar(pair)
    found: dict[str, set[str]] = {}
    for entries in grammar.lexicon.values():
        for entry in entries:
            for key, value in entry.items():
                lang = key.split(".")[0]
                if lang != "g":
                    found.setdefault(lang, set()).update(_words(value))
    for forms in grammar.agree.values():
        found.setdefault(grammar.matrix, set()).update(w for v in forms.values() for w in _words(v))
    for frames in grammar.frames.values():
        for frame in frames:
            for options in frame.parts:
                for lang, template in options:
                    found.setdefault(lang, set()).update(_words(template))
    return {lang: frozenset(words) for lang, words in found.items()}
