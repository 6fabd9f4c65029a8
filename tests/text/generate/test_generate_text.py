"""Generated code-switched sentences: seeded and repeatable, deduplicated, never an excluded sentence, every switch
kind of an unspaced (zh), a right-to-left (ar) and a spaced (es) pair in the right scripts with 0 < CMI <= 50,
enough variety per pair, and a grammar that runs dry says so instead of looping."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from cstoolkit.errors import ConfigError
from cstoolkit.text import normalize, split_units
from cstoolkit.text.generate import (
    Settings,
    analyse,
    available_pairs,
    distinct_units,
    generate,
    languages,
    read_exclude,
    sentence_key,
)
from cstoolkit.text.generate.data import DATA_DIR, read_yaml
from cstoolkit.text.generate.measure import script_problem

FUNCTION_WORDS = set(read_yaml(DATA_DIR / "frames" / "en.yaml")["function_words"])


def _signature(result) -> list[tuple]:
    return [(s.id, s.pair, s.kind, s.segments, s.switch_points, s.cmi) for s in result.sentences]


def test_the_same_seed_and_settings_give_the_same_sentences() -> None:
    settings = Settings(pairs=("zh-en", "es-en", "ar-en"), per_pair=15, seed=3)
    first, again = generate(settings), generate(settings)
    assert _signature(first) == _signature(again) and len(first.sentences) == 15 * 3 + 15 * 3 + 15 * 2
    other = generate(Settings(pairs=("zh-en", "es-en", "ar-en"), per_pair=15, seed=4))
    assert {s.text for s in other.sentences} != {s.text for s in first.sentences}
    # a pair's sentences do not depend on which other pairs were asked for
    alone = generate(Settings(pairs=("es-en",), per_pair=15, seed=3))
    assert _signature(alone) == [x for x in _signature(first) if x[1] == "es-en"]


def test_sentences_are_distinct_and_ids_unique() -> None:
    result = generate(Settings(per_pair=40, seed=1))
    keys = [sentence_key(s.text) for s in result.sentences]
    assert len(keys) == len(set(keys))
    assert len({s.id for s in result.sentences}) == len(result.sentences)
    assert all(re.fullmatch(r"gen-[a-z]+-en-(ins|alt|con)-\d{5}", s.id) for s in result.sentences)


def test_excluded_sentences_never_appear(tmp_path: Path) -> None:
    settings = dict(pairs=("zh-en", "es-en", "ar-en", "ja-en"), per_pair=40, seed=5)
    before = generate(Settings(**settings)).sentences
    kaldi, jsonl = tmp_path / "text", tmp_path / "sentences.jsonl"
    # the Kaldi file changes case and spacing: exclusion compares normalised text
    kaldi.write_text("".join(f"u{i} {s.text.upper()}  \n" for i, s in enumerate(before[::2])), "utf-8")
    jsonl.write_text(
        "".join(
            json.dumps({"id": s.id, "segments": s.segment_dicts()}, ensure_ascii=False) + "\n" for s in before[1::2]
        ),
        "utf-8",
    )
    excluded = read_exclude([kaldi, jsonl])
    assert len(excluded) == len(before)
    after = generate(Settings(**settings, exclude=excluded))
    assert len(after.sentences) == len(before)  # as many, none of them excluded
    assert not {sentence_key(s.text) for s in after.sentences} & excluded
    assert after.skipped["excluded"] > 0


def _check_sentence(sentence) -> None:
    scripts = {code: lang.scripts for code, lang in languages().items()}
    matrix = sentence.pair.split("-")[0]
    assert {lang for lang, _ in sentence.segments} == {matrix, "en"}
    for index, (lang, text) in enumerate(sentence.segments):
        assert script_problem(text, scripts[lang]) is None, (sentence.text, lang)
        assert not text.endswith("'") and text == text.strip()
        if index:
            assert lang != sentence.segments[index - 1][0]
    assert 0 < sentence.cmi <= 50
    # switch points: the unit index where each segment after the first begins
    offsets, total = [], 0
    for _, text in sentence.segments:
        offsets.append(total)
        total += len(split_units(normalize(text)))
    assert list(sentence.switch_points) == offsets[1:] and total == len(split_units(normalize(sentence.text)))
    if sentence.kind == "alternation":
        assert len(sentence.segments) == 2
    if sentence.kind == "insertion":  # the matrix language frame: no English function word is inserted
        for lang, text in sentence.segments:
            if lang == "en":
                assert not set(text.split()) & FUNCTION_WORDS, sentence.text
        assert sentence.analysis.unit_langs.count(matrix) >= sentence.analysis.unit_langs.count("en")


@pytest.mark.parametrize(
    ("pair", "kinds"),
    [
        ("zh-en", ("insertion", "alternation", "congruent")),
        ("ja-en", ("insertion", "alternation")),
        ("ar-en", ("insertion", "alternation")),
        ("es-en", ("insertion", "alternation", "congruent")),
    ],
)
def test_every_kind_of_a_pair_in_the_right_scripts_with_cmi_up_to_50(pair: str, kinds: tuple[str, ...]) -> None:
    result = generate(Settings(pairs=(pair,), per_pair=60, seed=11))
    assert result.counts()[pair] == dict.fromkeys(kinds, 60)
    for sentence in result.sentences:
        _check_sentence(sentence)
    if pair == "ar-en":  # the article ال is written onto its word, never before an English one
        assert not any(re.search(r"(^|\s)ال(\s|$)", s.text) for s in result.sentences)
        assert any(script_problem(s.segments[0][1], {"Arabic"}) is None for s in result.sentences)
    if pair == "ja-en":
        assert result.not_applicable == [
            {"pair": "ja-en", "kind": "congruent", "reason": result.not_applicable[0]["reason"]}
        ]


def test_all_pairs_give_clean_sentences_of_every_kind() -> None:
    result = generate(Settings(per_pair=25, seed=2))
    for sentence in result.sentences:
        _check_sentence(sentence)
    assert not result.shortfalls


def test_each_pair_reaches_250_sentences_over_150_units() -> None:
    result = generate(Settings(per_pair=130, seed=0))
    assert not result.shortfalls
    for pair in available_pairs():
        texts = [s.text for s in result.sentences if s.pair == pair]
        assert len(set(texts)) >= 250, pair
        assert len(distinct_units(texts)) >= 150, pair


def test_a_grammar_that_runs_dry_says_so(caplog) -> None:
    settings = Settings(pairs=("es-en",), kinds=("insertion",), per_pair=50, max_units=4, max_misses=300)
    with caplog.at_level(logging.WARNING):
        result = generate(settings)
    made = len(result.sentences)
    assert 0 < made < 50 and all(s.analysis.n_units <= 4 for s in result.sentences)
    assert result.shortfalls == [
        {"pair": "es-en", "kind": "insertion", "asked": 50, "made": made, "reason": result.shortfalls[0]["reason"]}
    ]
    assert f"es-en insertion: only {made} distinct sentences of the 50 asked for" in caplog.text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(pairs=("xx-en",)), "unknown language pair 'xx-en'"),
        (dict(kinds=("code-mixing",)), "unknown switch kind 'code-mixing'"),
        (dict(per_pair=0), "per-pair must be a whole number of at least 1, got 0"),
        (dict(min_units=9, max_units=5), "min-units 9 is larger than max-units 5"),
    ],
)
def test_bad_settings_are_one_line_errors(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings(**settings)


def test_units_switch_points_and_cmi_of_a_sentence() -> None:
    analysis = analyse([("zh", "我今天去"), ("en", "shopping mall"), ("zh", "买东西")])
    assert analysis.units == ("我", "今", "天", "去", "shopping", "mall", "买", "东", "西")
    assert analysis.switch_points == (4, 6) and analysis.cmi == pytest.approx(22.22)
    # digits are language-independent: 2 es + 2 en words of 5 units -> 100 * (1 - 2 / 4)
    analysis = analyse([("es", "tengo 3"), ("en", "new emails"), ("es", "hoy")])
    assert analysis.unit_langs == ("es", None, "en", "en", "es") and analysis.cmi == 50.0
    assert analyse([("es", "hola amigo")]).cmi == 0.0


def test_a_pair_without_any_kind_asked_for_is_said(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        result = generate(Settings(pairs=("ja-en", "es-en"), kinds=("congruent",), per_pair=3))
    assert [s.pair for s in result.sentences] == ["es-en"] * 3
    assert result.not_applicable[0]["pair"] == "ja-en" and "Japanese is SOV" in result.not_applicable[0]["reason"]
    assert "ja-en: none of the switch kinds asked for applies" in caplog.text
