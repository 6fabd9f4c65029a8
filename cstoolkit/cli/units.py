"""``cstk units``: build the ASR token list (characters + SentencePiece subwords) from training transcripts."""

from __future__ import annotations

import argparse

from omegaconf import OmegaConf

from cstoolkit.config import Rule, check_config, choice, load_config, number, whole

HELP = "build ASR units: characters for unspaced scripts, SentencePiece subwords for spaced scripts"


#: allowed values of the ``units`` config group
RULES: dict[str, Rule] = {
    "spm_vocab_size": whole(1),
    "spm_model_type": choice("unigram", "bpe", "char", "word"),
    "spm_character_coverage": number(0, 1, low_open=True),
    "char_min_count": whole(1),
    "seed_sentencepiece_size": whole(1),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", required=True, help="training transcripts (Kaldi text: utt transcript)")
    parser.add_argument("--out-dir", required=True, help="units directory to write (tokens.txt, spm.model, units.json)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. units.spm_vocab_size=300")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.asr.units import UnitsConfig, build_units
    from cstoolkit.train.io import read_kaldi_map

    cfg = load_config(args.overrides)
    check_config(cfg.units, RULES, "units")
    texts = read_kaldi_map(args.text).values()
    build_units(texts, args.out_dir, UnitsConfig(**OmegaConf.to_container(cfg.units, resolve=True)))
    return 0
