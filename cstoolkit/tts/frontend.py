"""The text front end of the TTS: code-switched text -> the model's text units, each with a language.

The text goes through :mod:`cstoolkit.text` normalisation and the model's unit list (CJK characters, SentencePiece
pieces for spaced scripts); each unit gets a language code: from language-tagged segments when they give exactly
the text's units (``utt2seg.jsonl``, inline ``<es>...</es>`` tags), else by its script with the utterance's matrix
language (``utt2lang`` ``zh-en`` -> ``zh`` for Han, ``en`` for Latin). The alignment stage and synthesis share it, so
a model reads at synthesis time exactly what it was trained on. What a model cannot speak is reported, never
dropped: units outside its vocabulary (spoken as ``<unk>``) and language codes it was not trained on (id 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cstoolkit.data.lang_tags import UNDETERMINED, languages_by_script, scripts_in, segment_by_script
from cstoolkit.text.tokens import WORD_START, TextTokenizer


@dataclass
class FrontEnd:
    """One text as the model reads it: ``units`` (strings) and ``unit_ids``, ``langs`` (codes) and ``lang_ids``,
    where the codes came from (``segments`` or ``script``), and what it cannot speak: ``unknown_units`` (spoken as
    ``<unk>``) and ``unknown_langs`` (codes it was not trained on, read as id 0)."""

    text: str
    units: list[str]
    unit_ids: list[int]
    langs: list[str]
    lang_ids: list[int]
    lang_source: str
    unknown_units: list[str] = field(default_factory=list)
    unknown_langs: list[str] = field(default_factory=list)


class TextFrontEnd:
    """Text -> :class:`FrontEnd` for a model with the text units ``units`` and the language codes ``languages``
    (in id order: code ``languages[i]`` is id ``i``, id 0 standing for codes the model was not trained on)."""

    def __init__(self, units: TextTokenizer, languages: Sequence[str]) -> None:
        self.units = units
        self.lang_index = {code: i for i, code in enumerate(languages)}

    def __call__(self, text: str, lang: str | None = None, segments: list[dict[str, str]] | None = None) -> FrontEnd:
        """Units and languages of ``text``. ``lang``: the utterance language (``utt2lang``, e.g. ``zh-en``; None:
        guessed from the scripts); ``segments``: language-tagged segments (``utt2seg.jsonl``), used when they give
        the same units as the text."""
        tokens, codes, source = units_and_langs(self.units, text, matrix_language(lang, text), segments)
        unit_ids = [self.units.index.get(t, self.units.unk_id) for t in tokens]
        lang_ids = [self.lang_index.get(c, 0) for c in codes]
        unknown_units = [t for t, i in zip(tokens, unit_ids) if i == self.units.unk_id]
        unknown_langs = sorted({c for c in codes if c not in self.lang_index})
        return FrontEnd(text, tokens, unit_ids, codes, lang_ids, source, unknown_units, unknown_langs)


def speakable(front: FrontEnd, unk_id: int) -> list[str]:
    """The units of ``front`` the model can speak: known, and more than a bare word-start mark."""
    return [u for u, i in zip(front.units, front.unit_ids) if i != unk_id and u.replace(WORD_START, "")]


def matrix_language(utt2lang_value: str | None, text: str = "") -> str:
    """The matrix language of an utterance: the non-English part of a ``utt2lang`` pair (``ar-en`` -> ``ar``), or
    the one language the scripts of ``text`` reveal, else ``und``."""
    if utt2lang_value:
        parts = [p for p in utt2lang_value.strip().split("-") if p]
        if parts:
            return next((p for p in parts if p != "en"), parts[0])
    found = languages_by_script(text)
    return found.pop() if len(found) == 1 else UNDETERMINED


def unit_languages(tokens: Sequence[str], matrix: str) -> list[str]:
    """Language code of each model text token by its script (``segment_by_script`` with ``matrix``).

    A token without letters takes a neighbour's language: a word start (a bare ``▁`` before the pieces of a word,
    ``▁2``) the next token's with letters, anything else (a digit inside a word) the previous one's; failing that
    the other neighbour's, and ``matrix`` for a text without letters.
    """
    found: list[str | None] = []
    for tok in tokens:
        text = tok.replace(WORD_START, "")
        found.append(segment_by_script(text, matrix)[0]["lang"] if scripts_in(text) else None)
    out: list[str] = []
    for i, (tok, lang) in enumerate(zip(tokens, found)):
        if lang is None:
            before = next((x for x in reversed(found[:i]) if x is not None), None)
            after = next((x for x in found[i + 1 :] if x is not None), None)
            first, second = (after, before) if tok.startswith(WORD_START) else (before, after)
            lang = first or second or matrix
        out.append(lang)
    return out


def units_and_langs(
    tokenizer: TextTokenizer, text: str, matrix: str, segments: list[dict[str, str]] | None = None
) -> tuple[list[str], list[str], str]:
    """``(tokens, langs, source)``: the model text tokens of ``text``, one language code per token, and where the
    codes came from: ``segments`` (the language-tagged ``segments`` give exactly the transcript's tokens) or
    ``script`` (:func:`unit_languages`)."""
    tokens = tokenizer.text_to_tokens(text)
    if segments:
        seg_tokens: list[str] = []
        seg_langs: list[str] = []
        for seg in segments:
            pieces = tokenizer.text_to_tokens(seg["text"])
            seg_tokens += pieces
            seg_langs += [seg["lang"]] * len(pieces)
        if seg_tokens == tokens:
            return tokens, seg_langs, "segments"
    return tokens, unit_languages(tokens, matrix), "script"


def with_script_langs(segments: list[dict], matrix: str) -> list[dict[str, str]]:
    """Tagged segments with the untagged ones (``lang`` None) split by script with ``matrix``."""
    out: list[dict[str, str]] = []
    for seg in segments:
        out += segment_by_script(seg["text"], matrix) if seg["lang"] is None else [dict(seg)]
    return out
