"""The TTS front end on sentences with digits and acronyms in every demo pair: each unit has a language of its pair
(never ``und``), no digit reaches the model, and what the model does not know is named."""

from __future__ import annotations

import pytest

from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tts.frontend import TextFrontEnd, describe

#: one sentence per demo pair, with digits, a time or an amount, and an acronym
SENTENCES = {
    "zh-en": "我有 3 个 meeting 在 2025 年, my GPU",
    "yue-en": "我哋有 2 個 meeting 喺 10:30",
    "ja-en": "3個の meeting が 10:30 に NYC で",
    "ko-en": "3개 meeting 이 10:30 에 있어요 GPU",
    "hi-en": "मेरे पास 3 meetings हैं ₹500",
    "ar-en": "عندي 3 meetings الساعة 10:30 GPU",
    "ru-en": "у меня 3 meetings в 2025 году GPU",
    "de-en": "ich habe 2 meetings um 10:30 für die GPU",
    "fr-en": "j'ai 2 meetings à 10h30 pour la GPU",
    "es-en": "<es>tengo 3</es> meetings <es>a las</es> 10:30 GPU",
    "it-en": "ho 2 meetings alle 10:30 per la GPU",
}


@pytest.fixture(scope="module")
def frontend(toy) -> TextFrontEnd:
    languages = ["<unk_lang>", "zh", "yue", "ja", "ko", "hi", "ar", "ru", "de", "fr", "es", "it", "en"]
    return TextFrontEnd(TextTokenizer(toy / "tokenizer" / "units"), languages)


@pytest.mark.parametrize("pair", sorted(SENTENCES))
def test_every_unit_has_a_language_of_its_pair_and_no_digit_is_left(frontend, pair) -> None:
    front = frontend(SENTENCES[pair], pair)
    assert set(front.langs) <= set(pair.split("-")), front.langs
    assert not front.unknown_langs
    assert not any(ch.isdigit() for unit in front.units for ch in unit), front.units
    lines = describe(front)
    unknown = list(dict.fromkeys(front.unknown_units))
    assert (f"unknown to the model (spoken as <unk>): {' '.join(unknown)}" in lines) == bool(unknown)


def test_corpus_segments_tagged_und_are_assigned_again(frontend) -> None:
    front = frontend("vamos al mall", "es-en", [{"lang": "und", "text": "vamos al mall"}])
    assert front.lang_source == "segments" and "und" not in front.langs
    assert front.spoken == [{"lang": "es", "text": "vamos al"}, {"lang": "en", "text": "mall"}]


def test_a_known_all_caps_word_is_read_as_the_models_unit(frontend) -> None:
    word = next(t for t in frontend.units.token_list if t.startswith("\u2581") and t[1:].isalpha() and len(t) > 3)
    front = frontend(word[1:].upper(), "zh-en")
    assert front.spoken == [{"lang": "en", "text": word[1:]}]
