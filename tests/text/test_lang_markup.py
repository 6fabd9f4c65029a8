"""Inline language tags of texts to synthesise: spans in order, untagged text kept, malformed tags refused."""

from __future__ import annotations

import pytest

from cstoolkit.errors import ConfigError
from cstoolkit.text.lang_markup import split_language_tags


def test_tagged_and_untagged_spans_in_order() -> None:
    plain, segments = split_language_tags("<zh>我今天去</zh> <en>shopping mall</en>买东西")
    assert plain == "我今天去 shopping mall 买东西"
    assert segments == [
        {"lang": "zh", "text": "我今天去"},
        {"lang": "en", "text": "shopping mall"},
        {"lang": None, "text": "买东西"},
    ]
    assert split_language_tags("<es>hola</es> my <pt-BR>amigo</pt-BR>")[1] == [
        {"lang": "es", "text": "hola"},
        {"lang": None, "text": "my"},
        {"lang": "pt-BR", "text": "amigo"},
    ]


def test_text_without_tags_is_untouched() -> None:
    for text in ("no tags here", "a < b > c", "<3 you", "<EN>upper</EN>"):
        assert split_language_tags(text) == (text, None)


def test_empty_tags_are_dropped() -> None:
    assert split_language_tags("<en> </en>hola") == ("hola", [{"lang": None, "text": "hola"}])


@pytest.mark.parametrize(
    "text, needle",
    [
        ("<en>mall", "not closed"),
        ("mall</en>", "not closed"),
        ("<en>mall</es>", "not closed"),
        ("<en>a <es>b</es></en>", "do not nest"),
    ],
)
def test_malformed_tags_are_refused(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        split_language_tags(text)
