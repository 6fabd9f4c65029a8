"""Language assignment: every word gets a language of the pair; tags win; third scripts are reported."""

from __future__ import annotations

from cstoolkit.text.langs import assign_languages, pair_languages


def _pairs(assignment) -> list[tuple[str, str]]:
    return [(s["lang"], s["text"]) for s in assignment.segments]


def test_untagged_latin_words_of_a_latin_pair_get_a_language() -> None:
    got = assign_languages("vamos al mall después del work", "es-en")
    assert _pairs(got) == [("es", "vamos al"), ("en", "mall"), ("es", "después del"), ("en", "work")]


def test_tags_win_over_the_lexicon() -> None:
    got = assign_languages("<en>vamos</en> al mall", "es-en")
    assert _pairs(got) == [("en", "vamos"), ("es", "al"), ("en", "mall")]


def test_letters_english_does_not_write_and_the_english_default() -> None:
    assert _pairs(assign_languages("niño zorp", "es-en")) == [("es", "niño"), ("en", "zorp")]


def test_script_decides_and_numbers_follow_the_word_they_count() -> None:
    got = assign_languages("我今天去shopping mall买 2 个", "zh-en")
    assert _pairs(got) == [("zh", "我今天去"), ("en", "shopping mall"), ("zh", "买 2 个")]


def test_a_third_script_is_reported_never_und() -> None:
    got = assign_languages("Сегодня meeting Ελλάδα", "ru-en")
    assert got.foreign == [("Ελλάδα", "Greek")]
    assert all(s["lang"] != "und" for s in got.segments)
    assert [s["lang"] for s in got.segments] == ["ru", "en", "ru"]


def test_pair_from_the_scripts_when_none_is_given() -> None:
    assert pair_languages(None, "我哋聽日有個 meeting") == ("yue", "en")
    assert pair_languages(None, "only english") == ("en",)
    assert pair_languages("de") == ("de", "en")
    assert _pairs(assign_languages("Heute meetings")) == [("en", "Heute meetings")]


def test_an_acronym_of_a_latin_pair_takes_its_sentences_language() -> None:
    assert _pairs(assign_languages("für die GPU", "de-en")) == [("de", "für die GPU")]
    assert _pairs(assign_languages("my GPU", "zh-en")) == [("en", "my GPU")]
