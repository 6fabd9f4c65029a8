"""Text normalisation shared by the metric, the ASR units and the TTS front end (docs/SAER.md)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

# Apostrophes and hyphens survive punctuation removal when they sit between two word characters ("don't", "e-mail").
_IN_WORD_MARKS = "'\u2019\u2010-"
_WORD_CHAR = r"[\p{L}\p{M}\p{N}]"
_PUNCT = regex.compile(
    rf"[\p{{P}}--[{regex.escape(_IN_WORD_MARKS)}]]"
    rf"|(?<!{_WORD_CHAR})[{regex.escape(_IN_WORD_MARKS)}]"
    rf"|[{regex.escape(_IN_WORD_MARKS)}](?!{_WORD_CHAR})",
    flags=regex.V1,
)
_INVISIBLE = regex.compile("[\ufeff\u200b\u2060]")
_SPACES = regex.compile(r"\s+")


@dataclass(frozen=True)
class NormalizeOptions:
    """Which normalisation steps run. Every step is on by default, as docs/SAER.md defines."""

    nfkc: bool = True
    casefold: bool = True
    punctuation: bool = True
    whitespace: bool = True

    @classmethod
    def none(cls) -> NormalizeOptions:
        """All steps off (text is only split, never changed)."""
        return cls(nfkc=False, casefold=False, punctuation=False, whitespace=False)

    @property
    def signature(self) -> str:
        """Short name for the signature string, e.g. ``nfkc+fold+punct+ws`` or ``none``."""
        names = [
            name
            for name, on in (
                ("nfkc", self.nfkc),
                ("fold", self.casefold),
                ("punct", self.punctuation),
                ("ws", self.whitespace),
            )
            if on
        ]
        return "+".join(names) or "none"


def normalize(text: str, options: NormalizeOptions = NormalizeOptions()) -> str:
    """Normalise one transcript: NFKC, case-fold, punctuation to spaces, collapsed white space.

    Punctuation is every Unicode ``P*`` character except an apostrophe or hyphen inside a word; it is replaced by a
    space so that "hello,world" stays two words.
    """
    if options.nfkc:
        text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    if options.casefold:
        text = text.casefold()
    if options.punctuation:
        text = _PUNCT.sub(" ", text)
    if options.whitespace:
        text = _SPACES.sub(" ", text).strip()
    return text
