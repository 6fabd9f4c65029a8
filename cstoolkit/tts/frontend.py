"""The text front end of the TTS: code-switched text -> the model's text units, each with a language.

Every word gets a language of the utterance's pair (:func:`cstoolkit.text.langs.assign_languages`: language-tagged
segments when they give exactly the text's units (``utt2seg.jsonl``, inline ``<es>...</es>`` tags) win, then the
script, the pair's lexicon, English; never ``und``); numbers, dates, amounts and acronyms are written out in their
segment's language (:mod:`cstoolkit.text.verbalize`); then the text goes through :mod:`cstoolkit.text` normalisation
and the model's unit list (CJK characters, SentencePiece pieces for spaced scripts). The alignment stage and
synthesis share it, so a model reads at synthesis time exactly what it was trained on. What a model cannot speak is
reported, never dropped: units outside its vocabulary (spoken as ``<unk>``) and language codes it was not trained on
(id 0)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cstoolkit.text.langs import pair_languages
from cstoolkit.text.tokens import WORD_START, TextTokenizer
from cstoolkit.text.verbalize import normalize_text

#: a segment language that says nothing (corpora tag Latin words of Latin-script pairs so): assigned again here
UNDETERMINED = "und"


@dataclass
class FrontEnd:
    """One text as the model reads it: ``units`` (strings) and ``unit_ids``, ``langs`` (codes) and ``lang_ids``,
    where the codes came from (``segments`` or ``script``), and what it cannot speak: ``unknown_units`` (spoken as
    ``<unk>``) and ``unknown_langs`` (codes it was not trained on, read as id 0). ``spoken``: the language segments
    the model reads (numbers and acronyms written out); ``foreign``: words of a script outside the pair."""

    text: str
    units: list[str]
    unit_ids: list[int]
    langs: list[str]
    lang_ids: list[int]
    lang_source: str
    unknown_units: list[str] = field(default_factory=list)
    unknown_langs: list[str] = field(default_factory=list)
    spoken: list[dict[str, str]] = field(default_factory=list)
    foreign: list[tuple[str, str]] = field(default_factory=list)


class TextFrontEnd:
    """Text -> :class:`FrontEnd` for a model with the text units ``units`` and the language codes ``languages``
    (in id order: code ``languages[i]`` is id ``i``, id 0 standing for codes the model was not trained on)."""

    def __init__(self, units: TextTokenizer, languages: Sequence[str]) -> None:
        self.units = units
        self.lang_index = {code: i for i, code in enumerate(languages)}

    def __call__(self, text: str, lang: str | None = None, segments: list[dict[str, str]] | None = None) -> FrontEnd:
        """Units and languages of ``text``. ``lang``: the utterance's language pair (``utt2lang``, e.g. ``zh-en``;
        None: from the scripts); ``segments``: language-tagged segments (``utt2seg.jsonl``, inline tags), used when
        they give the same units as the text."""
        spoken, foreign, source = spoken_segments(self.units, text, lang, segments)
        tokens: list[str] = []
        codes: list[str] = []
        for seg in spoken:
            pieces = self.units.text_to_tokens(seg["text"])
            tokens += pieces
            codes += [seg["lang"]] * len(pieces)
        unit_ids = [self.units.index.get(t, self.units.unk_id) for t in tokens]
        lang_ids = [self.lang_index.get(c, 0) for c in codes]
        unknown_units = [t for t, i in zip(tokens, unit_ids) if i == self.units.unk_id]
        unknown_langs = sorted({c for c in codes if c not in self.lang_index})
        return FrontEnd(text, tokens, unit_ids, codes, lang_ids, source, unknown_units, unknown_langs, spoken, foreign)


def speakable(front: FrontEnd, unk_id: int) -> list[str]:
    """The units of ``front`` the model can speak: known, and more than a bare word-start mark."""
    return [u for u, i in zip(front.units, front.unit_ids) if i != unk_id and u.replace(WORD_START, "")]


def matrix_language(utt2lang_value: str | None, text: str = "") -> str:
    """The matrix language of an utterance: the non-English part of a ``utt2lang`` pair (``ar-en`` -> ``ar``), or
    the first language the scripts of ``text`` reveal, else ``en`` (never ``und``)."""
    return pair_languages(utt2lang_value, text)[0]


def known_word(tokenizer: TextTokenizer):
    """Whether a lower-cased word is one unit of the model (an all-caps word it knows is read, not spelled)."""
    return lambda word: WORD_START + word in tokenizer.index


def spoken_segments(
    tokenizer: TextTokenizer, text: str, lang: str | None, segments: list[dict] | None = None
) -> tuple[list[dict[str, str]], list[tuple[str, str]], str]:
    """``(segments, foreign, source)``: what the model reads, as language segments (every word given a language of
    the pair ``lang`` by :func:`cstoolkit.text.langs.assign_languages`, then numbers and acronyms written out by
    :mod:`cstoolkit.text.verbalize`), the words of a third script, and where the languages came from: ``segments``
    (the given ``segments`` cover the text's units) or ``script``. A segment tagged ``und`` is assigned again."""
    base: str | list[dict] = text
    source = "script"
    if segments:
        seg_tokens = [t for seg in segments for t in tokenizer.text_to_tokens(seg["text"])]
        if seg_tokens == tokenizer.text_to_tokens(text):
            base = [
                {"lang": None if s.get("lang") in (None, UNDETERMINED) else s["lang"], "text": s["text"]}
                for s in segments
            ]
            source = "segments"
    result = normalize_text(base, lang, known_word(tokenizer))
    return result.segments, result.foreign, source


def units_and_langs(
    tokenizer: TextTokenizer, text: str, lang: str | None, segments: list[dict[str, str]] | None = None
) -> tuple[list[str], list[str], str]:
    """``(tokens, langs, source)``: the model text tokens of ``text`` as it is read (:func:`spoken_segments`), one
    language code per token, and where the codes came from (``segments`` or ``script``)."""
    spoken, _, source = spoken_segments(tokenizer, text, lang, segments)
    tokens: list[str] = []
    langs: list[str] = []
    for seg in spoken:
        pieces = tokenizer.text_to_tokens(seg["text"])
        tokens += pieces
        langs += [seg["lang"]] * len(pieces)
    return tokens, langs, source


def describe(front: FrontEnd) -> list[str]:
    """What the model will read, for a person: one ``lang: text`` line per segment, the units (those outside the
    model's vocabulary marked ``?``), and what it cannot speak."""
    lines = [f"{seg['lang']}: {seg['text']}" for seg in front.spoken]
    unknown = set(front.unknown_units)
    marked = [f"{u}/{lang}" + ("?" if u in unknown else "") for u, lang in zip(front.units, front.langs)]
    lines.append("units: " + " ".join(marked))
    if front.unknown_units:
        lines.append(f"unknown to the model (spoken as <unk>): {' '.join(dict.fromkeys(front.unknown_units))}")
    if front.unknown_langs:
        lines.append(f"languages the model was not trained on: {', '.join(front.unknown_langs)}")
    for word, script in front.foreign:
        lines.append(f"outside the language pair: {word} ({script})")
    return lines


def load_frontend(model_dir: str | Path) -> TextFrontEnd:
    """The front end of a T2S model directory without loading the model (its units and ``t2s.json`` languages)."""
    from cstoolkit.core.modeldir import UNITS_SUBDIR
    from cstoolkit.tts.t2s.checks import read_t2s_dir

    t2s = read_t2s_dir(model_dir)
    return TextFrontEnd(TextTokenizer(t2s.path / UNITS_SUBDIR), list(t2s.info["languages"]))
