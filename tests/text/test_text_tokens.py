"""Model text tokens: characters for unspaced scripts, SentencePiece pieces for spaced ones, ESPnet list layout."""

from __future__ import annotations

import pytest

from cstoolkit.config import load_config
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.text import normalize, split_units
from cstoolkit.text.tokens import BLANK, SOS_EOS, UNK, TextTokenizer, TextTokensConfig, build_text_tokens


def _config(**overrides) -> TextTokensConfig:
    """The ``units`` group of conf/ with ``overrides`` (the YAML files hold the defaults)."""
    return TextTokensConfig.from_config(load_config([f"units.{k}={v}" for k, v in overrides.items()]).units)


TRAIN = [
    "我今天去 shopping mall 买东西",
    "今日は shopping に行きます",
    "오늘 shopping 하러 가요",
    "मैं आज shopping जा रहा हूँ",
    "Ich gehe heute shopping, ja!",
    "Я иду в shopping mall",
    "我想喝 coffee 然后去 mall",
]


@pytest.fixture
def tok(tmp_path) -> TextTokenizer:
    return build_text_tokens(TRAIN, tmp_path / "units", _config(spm_vocab_size=60))


def test_token_list_layout(tok: TextTokenizer) -> None:
    assert tok.token_list[0] == BLANK and tok.token_list[1] == UNK and tok.token_list[-1] == SOS_EOS
    assert len(set(tok.token_list)) == len(tok.token_list)
    # every Han/Kana character of the training text is a token of its own
    for ch in "我今天去买东西日はに行きます想喝然后":
        assert ch in tok.token_list
    # spaced scripts are modelled by pieces, never by whole-utterance strings
    assert "오늘" not in "".join(t for t in tok.token_list if len(t) > 6)


def test_han_is_char_latin_is_subword(tok: TextTokenizer) -> None:
    tokens = tok.text_to_tokens("我今天去 Shopping mall!")
    assert tokens[:4] == ["我", "今", "天", "去"]
    assert tokens[4].startswith("\u2581")  # a word starts with the SentencePiece word mark
    assert "".join(tokens[4:]).replace("\u2581", " ").split() == ["shopping", "mall"]


@pytest.mark.parametrize("text", TRAIN)
def test_round_trip_gives_the_scoring_units(tok: TextTokenizer, text: str) -> None:
    """decode(encode(t)) splits into exactly the units SAER scores for the normalised reference."""
    assert split_units(tok.decode(tok.encode(text))) == split_units(normalize(text))


def test_unknown_characters_become_unk_and_vanish_in_text(tok: TextTokenizer) -> None:
    ids = tok.encode("我 龍")
    assert ids[-1] == tok.unk_id
    assert tok.decode(ids) == "我"


def test_hangul_as_character_script(tmp_path) -> None:
    cfg = _config(char_scripts=["Han", "Hiragana", "Katakana", "Hangul"], spm_vocab_size=40)
    tok = build_text_tokens(TRAIN, tmp_path / "u", cfg)
    assert tok.text_to_tokens("오늘 가요") == ["오", "늘", "가", "요"]
    assert split_units(tok.decode(tok.encode("오늘 shopping")), cfg.unit_options()) == ["오", "늘", "shopping"]


def test_reload_from_directory(tok: TextTokenizer) -> None:
    again = TextTokenizer(tok.units_dir)
    assert again.token_list == tok.token_list
    assert again.encode(TRAIN[0]) == tok.encode(TRAIN[0])


def test_missing_units_dir_is_a_typed_error(tmp_path) -> None:
    with pytest.raises(InputFileError, match="cstk units"):
        TextTokenizer(tmp_path / "nothing")


def test_empty_training_text_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no training text"):
        build_text_tokens(["", "  ", "!!"], tmp_path / "u", _config())


def test_vocabulary_smaller_than_the_alphabet_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"units.spm_vocab_size=5: Vocabulary size is smaller") as err:
        build_text_tokens(TRAIN, tmp_path / "u", _config(spm_vocab_size=5))
    assert "\n" not in str(err.value)


def test_a_rebuild_that_dies_midway_leaves_the_old_units_whole(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    out = tmp_path / "u"
    build_text_tokens(TRAIN, out, _config(spm_vocab_size=60))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write_text = Path.write_text

    def dies_at_the_token_list(self, *args, **kwargs):
        if "tokens.txt" in self.name:
            raise KeyboardInterrupt("killed while writing tokens.txt")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", dies_at_the_token_list)
    with pytest.raises(KeyboardInterrupt):
        build_text_tokens(TRAIN, out, _config(spm_vocab_size=50))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # not a new model with an old token list
    assert [p.name for p in tmp_path.iterdir()] == ["u"]  # no staging folder left behind
