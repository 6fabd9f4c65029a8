"""Model text tokens, the text front end of every model (ASR output, LM and TTS input): characters for unspaced
scripts, SentencePiece subwords for spaced ones.

Three words, three things: *units* are what SAER scores (:mod:`cstoolkit.text.units`), *text tokens* are what a
model reads or writes (this module), *speech tokens* are the quantised speech codes of the semantic tokenizer.
Text goes through :func:`cstoolkit.text.normalize` and :func:`cstoolkit.text.split_units` (the same functions the
metric uses), so a unit the model emits is a unit SAER scores. Each character of a character script (Han, Kana, ...)
is one token; every word of a spaced script (Latin, Hangul, Devanagari, Arabic, Cyrillic, ...) is split into
SentencePiece pieces trained on the training text, the first piece of a word carrying the ``▁`` word-start mark.

A token directory (written by ``cstk units`` from the ``units`` config group) holds ``tokens.txt`` (ESPnet token
list: ``<blank>`` first, ``<unk>``, ..., ``<sos/eos>`` last), ``spm.model`` and ``units.json`` (options, counts).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cstoolkit.config import Rule, check_config, choice, number, whole
from cstoolkit.core.atomic import atomic_dir
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.text.normalize import NormalizeOptions, normalize
from cstoolkit.text.scripts import script_of_unit
from cstoolkit.text.units import UnitOptions, split_units

log = logging.getLogger(__name__)

BLANK, UNK, SOS_EOS = "<blank>", "<unk>", "<sos/eos>"
WORD_START = "\u2581"  # SentencePiece's word-start mark
TOKENS_FILE, SPM_FILE, INFO_FILE = "tokens.txt", "spm.model", "units.json"


#: allowed values of the ``units`` config group (its defaults live in conf/units/default.yaml only)
RULES: dict[str, Rule] = {
    "spm_vocab_size": whole(1),
    "spm_model_type": choice("unigram", "bpe", "char", "word"),
    "spm_character_coverage": number(0, 1, low_open=True),
    "char_min_count": whole(1),
    "seed_sentencepiece_size": whole(1),
}


@dataclass
class TextTokensConfig:
    """Options of the token list (the ``units`` config group, ``conf/units/*.yaml``; no defaults here).

    char_scripts: scripts whose characters are tokens (empty = cstoolkit.text's unspaced scripts).
    spm_vocab_size: target size of the subword vocabulary for spaced scripts (a soft limit on tiny corpora).
    spm_model_type: ``unigram`` or ``bpe``. char_min_count: characters seen fewer times map to ``<unk>``.
    """

    char_scripts: list[str]
    spm_vocab_size: int
    spm_model_type: str
    spm_character_coverage: float
    char_min_count: int
    seed_sentencepiece_size: int

    @classmethod
    def from_config(cls, cfg: Any) -> TextTokensConfig:
        """Check the ``units`` group (a DictConfig or a dict) against :data:`RULES` and build the options."""
        from omegaconf import OmegaConf

        check_config(cfg, RULES, "units")
        values = OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else dict(cfg)
        return cls(**{k: values[k] for k in cls.__dataclass_fields__})

    def unit_options(self) -> UnitOptions:
        """The cstoolkit.text unit options these units follow (mixed mode)."""
        if not self.char_scripts:
            return UnitOptions()
        return UnitOptions(mode="mixed", char_scripts=frozenset(self.char_scripts))


def _is_char_unit(unit: str, options: UnitOptions) -> bool:
    """True when ``unit`` (from split_units, mixed mode) is a character of a character script.

    split_units never puts a character-script character inside a word run, so the script of the unit decides.
    """
    return script_of_unit(unit) in options.char_scripts


class TextTokenizer:
    """Text <-> token ids for one token directory."""

    def __init__(self, units_dir: str | Path) -> None:
        import sentencepiece as spm

        units_dir = Path(units_dir)
        for name in (TOKENS_FILE, SPM_FILE, INFO_FILE):
            if not (units_dir / name).is_file():
                raise InputFileError(units_dir / name, "missing: run the units stage (cstk units) first")
        self.units_dir = units_dir
        self.token_list: list[str] = (units_dir / TOKENS_FILE).read_text(encoding="utf-8").splitlines()
        if not self.token_list or self.token_list[0] != BLANK or self.token_list[-1] != SOS_EOS:
            raise InputFileError(units_dir / TOKENS_FILE, f"must start with {BLANK} and end with {SOS_EOS}")
        self.index = {tok: i for i, tok in enumerate(self.token_list)}
        info = json.loads((units_dir / INFO_FILE).read_text(encoding="utf-8"))
        self.config = TextTokensConfig(**info["config"])
        self.options = self.config.unit_options()
        self.sp = spm.SentencePieceProcessor(model_file=str(units_dir / SPM_FILE))
        self.unk_id = self.index[UNK]

    def __len__(self) -> int:
        return len(self.token_list)

    def text_to_tokens(self, text: str) -> list[str]:
        """Normalised, unit-split text as tokens (characters and ``▁``-marked subword pieces)."""
        tokens: list[str] = []
        for unit in split_units(normalize(text), self.options):
            if _is_char_unit(unit, self.options):
                tokens.append(unit)
            else:
                tokens.extend(self.sp.encode(unit, out_type=str))
        return tokens

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (unknown tokens become ``<unk>``)."""
        return [self.index.get(tok, self.unk_id) for tok in self.text_to_tokens(text)]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids: words separated by spaces, runs of character tokens written together.

        Blank, ``<sos/eos>`` and ``<unk>`` are dropped.
        """
        skip = {0, len(self.token_list) - 1, self.unk_id}
        pieces: list[tuple[bool, str]] = []  # (is_char_token, text)
        for i in ids:
            if i in skip or i < 0 or i >= len(self.token_list):
                continue
            tok = self.token_list[i]
            if _is_char_unit(tok, self.options):
                pieces.append((True, tok))
            elif tok.startswith(WORD_START) or not pieces or pieces[-1][0]:
                pieces.append((False, tok.removeprefix(WORD_START)))  # may be empty: a bare "▁" opens a word
            else:
                pieces[-1] = (False, pieces[-1][1] + tok)
        pieces = [p for p in pieces if p[1]]
        out = ""
        for k, (is_char, piece) in enumerate(pieces):
            if k and not (is_char and pieces[k - 1][0]):
                out += " "
            out += piece
        return out


def build_text_tokens(texts: Iterable[str], out_dir: str | Path, config: TextTokensConfig) -> TextTokenizer:
    """Build a token directory from training transcripts and return its tokenizer.

    Characters of ``config.char_scripts`` seen at least ``char_min_count`` times become tokens; the remaining words
    train a SentencePiece model of about ``spm_vocab_size`` pieces. The folder is replaced as a whole, so a killed
    run never leaves a model from one run next to a token list from another.
    """
    check_config(asdict(config), RULES, "units")
    options = config.unit_options()
    out_dir = Path(out_dir)
    chars: Counter[str] = Counter()
    word_lines: list[str] = []
    n_utts = 0
    for text in texts:
        n_utts += 1
        words = []
        for unit in split_units(normalize(text), options):
            if _is_char_unit(unit, options):
                chars[unit] += 1
            else:
                words.append(unit)
        if words:
            word_lines.append(" ".join(words))
    if not word_lines and not chars:
        raise ConfigError("no training text: the units stage needs at least one non-empty transcript")

    with atomic_dir(out_dir) as staging:  # spm.model, units.json and tokens.txt appear together or not at all
        token_list, char_tokens, pieces = _write_units(staging, chars, word_lines, n_utts, config)
    log.info(
        "units: %d tokens (%d characters, %d subwords) from %d utterances -> %s",
        len(token_list),
        len(char_tokens),
        len(pieces),
        n_utts,
        out_dir,
    )
    return TextTokenizer(out_dir)


def _write_units(
    folder: Path, chars: Counter[str], word_lines: list[str], n_utts: int, config: TextTokensConfig
) -> tuple[list[str], list[str], list[str]]:
    """Train SentencePiece and write spm.model, units.json and tokens.txt into ``folder``.

    Returns (token list, character tokens, subword pieces).
    """
    import sentencepiece as spm

    options = config.unit_options()
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        corpus = Path(tmp) / "words.txt"
        corpus.write_text("\n".join(word_lines or ["a"]) + "\n", encoding="utf-8")
        try:
            _train_spm(spm, corpus, tmp, config)
        except RuntimeError as err:  # e.g. "Vocabulary size is smaller than required_chars. 20 vs 38."
            why = " ".join(str(err).split()).split("] ")[-1] or type(err).__name__
            raise ConfigError(
                f"units: SentencePiece cannot train with units.spm_vocab_size={config.spm_vocab_size}: {why}"
            ) from None
        sp = spm.SentencePieceProcessor(model_file=str(Path(tmp) / "spm.model"))
        pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not sp.is_unknown(i)]
        shutil.copyfile(Path(tmp) / "spm.model", folder / SPM_FILE)

    char_tokens = [c for c, n in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])) if n >= config.char_min_count]
    seen: set[str] = {BLANK, UNK, SOS_EOS}
    token_list = [BLANK, UNK]
    for tok in (*char_tokens, *pieces):
        if tok not in seen:
            seen.add(tok)
            token_list.append(tok)
    token_list.append(SOS_EOS)
    info = {
        "config": asdict(config),
        "num_tokens": len(token_list),
        "num_char_tokens": len(char_tokens),
        "num_subword_tokens": len(pieces),
        "num_utterances": n_utts,
        "normalize": NormalizeOptions().signature,
        "units": options.signature,
    }
    (folder / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / TOKENS_FILE).write_text("\n".join(token_list) + "\n", encoding="utf-8")
    return token_list, char_tokens, pieces


def _train_spm(spm, corpus: Path, tmp: str, config: TextTokensConfig) -> None:
    """Train ``<tmp>/spm.model`` on the word lines in ``corpus``."""
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(Path(tmp) / "spm"),
        vocab_size=config.spm_vocab_size,
        model_type=config.spm_model_type,
        character_coverage=config.spm_character_coverage,
        hard_vocab_limit=False,
        input_sentence_size=config.seed_sentencepiece_size,
        shuffle_input_sentence=True,
        unk_id=0,
        bos_id=-1,
        eos_id=-1,
        pad_id=-1,
        minloglevel=2,
    )


def copy_units(units_dir: str | Path, exp_dir: str | Path) -> Path:
    """Copy a units directory (``cstk units``) into a model directory, so that it stands alone (the folder is
    replaced whole)."""
    from cstoolkit.core.modeldir import UNITS_SUBDIR

    with atomic_dir(Path(exp_dir) / UNITS_SUBDIR) as tmp:
        for name in (TOKENS_FILE, SPM_FILE, INFO_FILE):
            shutil.copyfile(Path(units_dir) / name, tmp / name)
    return Path(exp_dir) / UNITS_SUBDIR
