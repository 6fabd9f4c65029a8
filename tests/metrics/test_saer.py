import pytest

import cstoolkit
from cstoolkit import saer
from cstoolkit.errors import ConfigError
from cstoolkit.metrics.embedding_cache import EmbeddingCache


def test_lambda_one_is_the_mixed_error_rate_and_never_loads_a_model() -> None:
    result = saer(["我今天去 shopping mall 买东西"], ["我今天去 shopping 买东西"], lam=1, model="no/such-model")
    assert result.saer == pytest.approx(1 / 9)
    assert result.semantic_error is None
    assert "model:none" in result.signature


def test_corpus_pools_counts_not_ratios(exploding) -> None:
    result = saer(["我今天去 shopping mall 买东西", "hello"], ["我今天去 shopping 买东西", "bye"], lam=1)
    assert (result.deletions, result.substitutions, result.ref_units) == (1, 1, 10)
    assert result.form_error == pytest.approx(2 / 10)
    assert [u.form_error for u in result.per_utterance] == pytest.approx([1 / 9, 1.0])


def test_identical_pairs_skip_the_model(exploding) -> None:
    result = saer(["Hello, World!", "我去 shopping"], ["hello world", "我去 shopping"], model=exploding)
    assert result.saer == 0.0
    assert result.semantic_error == 0.0


def test_one_empty_side_is_semantic_error_one(exploding) -> None:
    result = saer(["", "something"], ["words", ""], model=exploding)
    assert [u.semantic_error for u in result.per_utterance] == [1.0, 1.0]
    assert [u.form_error for u in result.per_utterance] == [1.0, 1.0]
    both_empty = saer([""], [""], model=exploding)
    assert both_empty.saer == 0.0


def test_each_distinct_text_is_embedded_once(counting) -> None:
    refs = ["the cat sat", "the cat sat", "a dog ran", "same"]
    hyps = ["the cat sits", "the cat sits", "the cat sits", "same"]
    saer(refs, hyps, model=counting)
    assert sorted(counting.embedded) == sorted(["the cat sat", "the cat sits", "a dog ran"])
    assert len(counting.calls) == 1  # one batch


def test_saer_blends_form_and_semantic(counting) -> None:
    result = saer("the cat sat", "the cat sits", lam=0.3, model=counting)
    utt = result.per_utterance[0]
    assert utt.form_error == pytest.approx(1 / 3)
    assert 0 < utt.semantic_error < 1
    assert result.saer == pytest.approx(0.3 * (1 / 3) + 0.7 * utt.semantic_error)


def test_semantic_weighting_by_length(counting) -> None:
    refs, hyps = ["a b c d e f g h", "x"], ["a b c d e f g h", "y"]
    mean = saer(refs, hyps, model=counting).semantic_error
    weighted = saer(refs, hyps, model=counting, semantic_weighting="length").semantic_error
    assert mean == pytest.approx(0.5)  # 0 and 1 averaged
    assert weighted == pytest.approx(1 / 9)
    assert "esem:length" in saer(refs, hyps, model=counting, semantic_weighting="length").signature


def test_cache_avoids_recomputing(tmp_path, counting) -> None:
    cache = tmp_path / "emb.sqlite"
    first = saer("the cat sat", "the cat sits", model=counting, cache=cache)
    calls = len(counting.calls)
    second = saer("the cat sat", "the cat sits", model=counting, cache=cache)
    assert len(counting.calls) == calls
    assert second.saer == pytest.approx(first.saer)
    stored = EmbeddingCache(cache).get_many("counting@test", ["the cat sat", "unseen"])
    assert set(stored) == {"the cat sat"}


def test_tags_and_word_languages(counting) -> None:
    refs = ["我今天去 shopping mall", "vamos al mall"]
    hyps = ["我今天去 shopping", "vamos al mall"]
    result = saer(
        refs,
        hyps,
        ids=["u1", "u2"],
        tags={"u1": "zh-en", "u2": "es-en"},
        segments={"u1": [("zh", "我今天去"), ("en", "shopping mall")]},
        model=counting,
    )
    assert result.per_tag["zh-en"].counts.deletions == 1
    assert result.per_tag["es-en"].form_error == 0.0
    assert result.per_word_language["en"].deletions == 1
    assert result.per_word_language["en"].ref_units == 2
    assert result.per_word_language["zh"].ref_units == 4
    assert result.per_script["Latin"].ref_units == 5


def test_result_dict_and_signature(counting) -> None:
    result = saer(["a b"], ["a c"], model=counting, units="word", char_scripts=None)
    d = result.to_dict()
    for key in (
        "saer",
        "form_error",
        "semantic_error",
        "substitutions",
        "deletions",
        "insertions",
        "ref_units",
        "utterances",
        "signature",
        "per_utterance",
    ):
        assert key in d
    assert d["per_utterance"][0]["id"] == "1"
    assert d["signature"].startswith("saer|lam:0.5|units:word|norm:nfkc+fold+punct+ws|model:counting@test")


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="lambda"):
        saer("a", "b", lam=1.5)
    with pytest.raises(ConfigError, match="2 references but 1"):
        saer(["a", "b"], ["a"], lam=1)
    with pytest.raises(ConfigError, match="empty corpus"):
        saer([], [], lam=1)
    with pytest.raises(ConfigError, match="both be strings"):
        saer("a", ["a"], lam=1)
    with pytest.raises(ConfigError, match="1 ids for 2 utterances"):
        saer(["a", "b"], ["a", "c"], lam=1, ids=["x"])
    with pytest.raises(ConfigError, match="duplicate id 'x'"):
        saer(["a", "b"], ["a", "c"], lam=1, ids=["x", "x"])
    with pytest.raises(ConfigError, match="hypothesis 1 is a NoneType, expected a string"):
        saer(["a", "b"], ["a", None], lam=1)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="jobs must be at least 1"):
        saer("a", "b", lam=1, jobs=0)


def test_ids_that_are_numbers_become_strings() -> None:
    result = saer(["a b", "c"], ["a b", "d"], lam=1, ids=[10, 11], tags={"11": "x"})  # type: ignore[list-item]
    assert [u.id for u in result.per_utterance] == ["10", "11"] and set(result.per_tag) == {"<none>", "x"}


#: the default signature of lam 1 before --verbalize existed (the default must not change)
DEFAULT_SIGNATURE_LAM1 = "saer|lam:1|units:mixed|norm:nfkc+fold+punct+ws|model:none|version:"


def test_verbalize_scores_digits_and_words_alike() -> None:

    plain = saer("I have three meetings", "I have 3 meetings", lam=1)
    spoken = saer("I have three meetings", "I have 3 meetings", lam=1, verbalize=True)
    assert plain.corpus.counts.substitutions == 1
    assert spoken.corpus.counts.substitutions + spoken.corpus.counts.insertions + spoken.corpus.counts.deletions == 0
    assert spoken.saer == pytest.approx(0.0, abs=1e-12)
    assert plain.signature == DEFAULT_SIGNATURE_LAM1 + cstoolkit.__version__
    assert "norm:nfkc+fold+punct+ws+verbalize|" in spoken.signature
    assert spoken.signature != plain.signature


def test_verbalize_reads_each_utterance_in_its_pair() -> None:

    result = saer(["我有三个 meeting"], ["我有 3 个 meeting"], lam=1, ids=["u1"], tags={"u1": "zh-en"}, verbalize=True)
    assert result.saer == pytest.approx(0.0, abs=1e-12)
    assert saer("我有三个 meeting", "我有 3 个 meeting", lam=1).saer > 0
