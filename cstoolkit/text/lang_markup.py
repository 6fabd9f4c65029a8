"""Inline language tags a user can write into a text to synthesise: ``<zh>我今天去</zh> <en>shopping mall</en>``.

Scripts tell most languages of a code-switched text apart, but not two languages written in the same script
(Spanish and English words are both Latin). A tag ``<xx>...</xx>`` (a language code of two or three lowercase
letters, optionally with a region: ``<es>``, ``<yue>``, ``<pt-BR>``) says which language a span is in; untagged
text between tags keeps the language its script gives. Tags do not nest.

>>> split_language_tags("<es>hola</es> my friend")
('hola my friend', [{'lang': 'es', 'text': 'hola'}, {'lang': None, 'text': 'my friend'}])
>>> split_language_tags("no tags here")
('no tags here', None)
"""

from __future__ import annotations

import re

from cstoolkit.errors import ConfigError

#: ``<code>text</code>``; the closing tag must name the same code
TAG = re.compile(r"<([a-z]{2,3}(?:-[A-Za-z]{2,4})?)>(.*?)</\1>", re.DOTALL)
#: anything left that looks like a tag once the well-formed ones are taken out
STRAY = re.compile(r"</?[a-z]{2,3}(?:-[A-Za-z]{2,4})?>")


def split_language_tags(text: str) -> tuple[str, list[dict[str, str | None]] | None]:
    """``(plain_text, segments)``: the text without its tags, and its spans in order as ``{"lang", "text"}`` dicts
    (``lang`` None for untagged spans). ``segments`` is None when the text has no tag. ConfigError for a tag that
    is not closed, closed by another code, or nested."""
    if not STRAY.search(text):
        return text, None
    segments: list[dict[str, str | None]] = []
    pos = 0
    for match in TAG.finditer(text):
        _untagged(text[pos : match.start()], segments)
        inner = match.group(2)
        if STRAY.search(inner):
            raise ConfigError(f"language tags do not nest: {match.group(0)!r}")
        if inner.strip():
            segments.append({"lang": match.group(1), "text": inner.strip()})
        pos = match.end()
    _untagged(text[pos:], segments)
    plain = " ".join(str(s["text"]) for s in segments)
    return plain, segments


def _untagged(span: str, segments: list[dict[str, str | None]]) -> None:
    stray = STRAY.search(span)
    if stray:
        raise ConfigError(f"language tag {stray.group(0)!r} is not closed by a matching tag (write <xx>...</xx>)")
    if span.strip():
        segments.append({"lang": None, "text": span.strip()})
