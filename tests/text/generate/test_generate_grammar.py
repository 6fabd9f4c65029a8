"""The generator's data: every pair's grammar loads and is checked, congruent frames only where word orders agree,
the words are in the right scripts (traditional characters for Cantonese, simplified for Mandarin, kana and kanji
for Japanese), Korean particles follow the final consonant, and broken data files are named in one error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cstoolkit.errors import ConfigError
from cstoolkit.text.generate import available_pairs, languages, load_grammar
from cstoolkit.text.generate.data import DATA_DIR, read_yaml
from cstoolkit.text.scripts import script_of_char

SVO_PAIRS = {"zh-en", "yue-en", "ru-en", "de-en", "fr-en", "es-en", "it-en"}
#: characters written only in simplified Chinese, and their traditional counterparts
SIMPLIFIED_ONLY = "们这说时会过电么来对还没发钟书东车门问见长机话实钱"
TRADITIONAL_ONLY = "們這說時會過電麼來對還沒發鐘書東車門問見長機話實錢"


def _text_of(pair: str) -> str:
    return (DATA_DIR / "lexicons" / f"{pair}.yaml").read_text("utf-8") + (
        DATA_DIR / "frames" / f"{pair}.yaml"
    ).read_text("utf-8")


def test_the_eleven_switchlingua_pairs_with_the_demo_corpus_codes() -> None:
    assert available_pairs() == (
        "zh-en",
        "yue-en",
        "ja-en",
        "ko-en",
        "hi-en",
        "ar-en",
        "ru-en",
        "de-en",
        "fr-en",
        "es-en",
        "it-en",
    )
    demo = {p.stem for p in (DATA_DIR.parents[1] / "data" / "corpora" / "mini").glob("*-en.json")}
    assert set(available_pairs()) == demo


@pytest.mark.parametrize("pair", available_pairs())
def test_every_grammar_loads_with_congruent_frames_only_where_word_orders_agree(pair: str) -> None:
    grammar = load_grammar(pair)
    expected = ["insertion", "alternation", "congruent"] if pair in SVO_PAIRS else ["insertion", "alternation"]
    assert grammar.kinds == expected
    assert len(grammar.frames["insertion"]) >= 8 and len(grammar.frames["alternation"]) >= 50
    matrix = pair.split("-")[0]
    orders_agree = languages()[matrix].order == languages()["en"].order
    assert ("congruent" in grammar.kinds) == orders_agree


def test_cantonese_is_traditional_with_cantonese_words_and_mandarin_simplified() -> None:
    yue, zh = _text_of("yue-en"), _text_of("zh-en")
    assert not set(SIMPLIFIED_ONLY) & set(yue)
    assert not set(TRADITIONAL_ONLY) & set(zh)
    for word in ("我哋", "咗", "唔", "嘅", "喺"):
        assert word in yue


def test_japanese_mixes_kanji_and_kana() -> None:
    scripts = {script_of_char(ch) for ch in _text_of("ja-en")}
    assert {"Han", "Hiragana", "Katakana"} <= scripts


def test_korean_particles_follow_the_final_consonant() -> None:
    checked = 0
    for entries in load_grammar("ko-en").lexicon.values():
        for entry in entries:
            if "g" in entry:
                last = entry["ko"][-1]
                has_batchim = (ord(last) - 0xAC00) % 28 != 0
                assert entry["g"] == ("c" if has_batchim else "v"), entry
                checked += 1
    assert checked > 50


def test_every_lexicon_entry_has_its_english_equivalent_in_latin_script() -> None:
    for pair in available_pairs():
        for category, entries in load_grammar(pair).lexicon.items():
            assert len(entries) >= 5, (pair, category)
            for entry in entries:
                assert all(script_of_char(ch) in ("Latin", "Common") for ch in entry["en"]), (pair, entry)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def test_congruent_frames_for_a_verb_final_language_are_refused(data_copy: Path) -> None:
    frames = data_copy / "frames" / "ja-en.yaml"
    frames.write_text(frames.read_text("utf-8") + 'congruent:\n  - ["{time_past}", {ja: 私は, en: I}]\n', "utf-8")
    with pytest.raises(ConfigError, match=r"ja-en.yaml: congruent frames need word orders that agree; ja is SOV"):
        load_grammar("ja-en", data_copy)


def test_a_slot_without_a_form_names_the_file_frame_and_entry(data_copy: Path) -> None:
    lexicon = data_copy / "lexicons" / "es-en.yaml"
    lexicon.write_text(
        lexicon.read_text("utf-8").replace("{en: report, es: informe, g: m}", "{en: report, es: informe}")
    )
    with pytest.raises(
        ConfigError, match=r"es-en.yaml: insertion 3: slot \{doc.el\} \(es\) has no form for doc entry 1"
    ):
        load_grammar("es-en", data_copy)


def test_english_words_in_insertion_frames_must_be_slots(data_copy: Path) -> None:
    frames = data_copy / "frames" / "es-en.yaml"
    frames.write_text(frames.read_text("utf-8").replace('[en, "{food}"]', '[en, "some {food}"]'), "utf-8")
    with pytest.raises(ConfigError, match=r"English parts of insertions are slots only"):
        load_grammar("es-en", data_copy)


def test_a_word_in_the_wrong_script_is_refused(data_copy: Path) -> None:
    lexicon = data_copy / "lexicons" / "ar-en.yaml"
    lexicon.write_text(lexicon.read_text("utf-8").replace("{en: report, ar: تقرير", "{en: report, ar: taqrir"), "utf-8")
    with pytest.raises(ConfigError, match=r"doc entry 1: ar='taqrir' is not in ar script"):
        load_grammar("ar-en", data_copy)


def test_non_string_yaml_values_are_named(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("lexicon:\n  place:\n    - {en: on, es: encendido}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"x.yaml: top.lexicon.place\[0\].en is True, expected a string"):
        read_yaml(path)
