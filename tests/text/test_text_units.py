"""Unit splitting on hand-checked code-switched sentences: every SwitchLingua language mixed with English."""

import pytest

from cstoolkit.errors import ConfigError
from cstoolkit.text import UnitOptions, normalize, script_of_char, script_of_unit, split_units

# (language, raw sentence, expected units in mixed mode), each counted by hand.
CASES = [
    ("Mandarin", "我今天去 shopping mall 买东西", ["我", "今", "天", "去", "shopping", "mall", "买", "东", "西"]),
    ("Cantonese", "我哋今晚去 shopping 好唔好？", ["我", "哋", "今", "晚", "去", "shopping", "好", "唔", "好"]),
    (
        "Japanese",
        "明日の meeting はキャンセルです。",
        ["明", "日", "の", "meeting", "は", "キ", "ャ", "ン", "セ", "ル", "で", "す"],
    ),
    ("Korean", "오늘 meeting 있어요", ["오늘", "meeting", "있어요"]),
    ("Hindi", "मैं कल office जाऊँगा।", ["मैं", "कल", "office", "जाऊँगा"]),
    ("Arabic", "سأذهب إلى الـ mall غدا", ["سأذهب", "إلى", "الـ", "mall", "غدا"]),
    ("Russian", "Я забыл свой laptop дома.", ["я", "забыл", "свой", "laptop", "дома"]),
    ("French", "C'est l'heure du meeting, non ?", ["c'est", "l'heure", "du", "meeting", "non"]),
    ("German", "Das Meeting ist um drei Uhr.", ["das", "meeting", "ist", "um", "drei", "uhr"]),
    ("Italian", "Stasera facciamo un party!", ["stasera", "facciamo", "un", "party"]),
    ("Spanish", "Vamos al mall después del work.", ["vamos", "al", "mall", "después", "del", "work"]),
    ("English", "Let's meet at 5 pm, OK?", ["let's", "meet", "at", "5", "pm", "ok"]),
]


@pytest.mark.parametrize(("language", "raw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_mixed_units(language: str, raw: str, expected: list[str]) -> None:
    assert split_units(normalize(raw)) == expected


def test_latin_glued_to_han_is_its_own_word() -> None:
    assert split_units("我用iPhone拍照") == ["我", "用", "iPhone", "拍", "照"]


def test_thai_is_split_into_graphemes() -> None:
    units = split_units("ฉันไปshopping")
    assert "shopping" in units
    assert "".join(units) == "ฉันไปshopping"
    assert all(script_of_unit(u) == "Thai" for u in units if u != "shopping")


def test_hangul_switch_makes_korean_a_character_script() -> None:
    options = UnitOptions.from_spec("mixed", "+Hangul")
    assert split_units("오늘 meeting 있어요", options) == ["오", "늘", "meeting", "있", "어", "요"]
    assert options.signature == "mixed[+Hangul]"


def test_removing_a_script_and_full_lists() -> None:
    assert split_units("我今天", UnitOptions.from_spec("mixed", "-Han")) == ["我今天"]
    only_kana = UnitOptions.from_spec("mixed", "Hiragana,Katakana")
    assert only_kana.char_scripts == frozenset({"Hiragana", "Katakana"})
    assert split_units("今日はテスト", only_kana) == ["今日", "は", "テ", "ス", "ト"]


def test_word_and_char_modes() -> None:
    text = "我今天去 shopping"
    assert split_units(text, UnitOptions("word")) == ["我今天去", "shopping"]
    assert split_units(text, UnitOptions("char")) == ["我", "今", "天", "去", *"shopping"]
    # char mode keeps a Devanagari syllable with its vowel sign
    assert split_units("की", UnitOptions("char")) == ["की"]


def test_unknown_mode_and_script_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unit mode"):
        UnitOptions("syllable")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Klingon"):
        UnitOptions.from_spec("mixed", "+Klingon")


@pytest.mark.parametrize(
    ("unit", "script"),
    [
        ("我", "Han"),
        ("shopping", "Latin"),
        ("は", "Hiragana"),
        ("キ", "Katakana"),
        ("오늘", "Hangul"),
        ("मैं", "Devanagari"),
        ("سأذهب", "Arabic"),
        ("дома", "Cyrillic"),
        ("123", "Common"),
        ("ー", "Katakana"),
        ("5g", "Latin"),
    ],
)
def test_script_of_unit(unit: str, script: str) -> None:
    assert script_of_unit(unit) == script


def test_script_of_char_neutral() -> None:
    assert script_of_char("1") == "Common"
    assert script_of_char("\u0301") == "Inherited"
