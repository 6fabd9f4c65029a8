"""``cstk units``: build the model text tokens (characters + SentencePiece subwords) from training transcripts."""

from __future__ import annotations

import argparse

from cstoolkit.config import load_config

HELP = "build the model text tokens: characters for unspaced scripts, SentencePiece subwords for spaced scripts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", required=True, help="training transcripts (Kaldi text: utt transcript)")
    parser.add_argument("--out-dir", required=True, help="token directory to write (tokens.txt, spm.model, units.json)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. units.spm_vocab_size=300")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.data.kaldi_dir import read_kaldi_map
    from cstoolkit.text.tokens import TextTokensConfig, build_text_tokens

    config = TextTokensConfig.from_config(load_config(args.overrides).units)
    build_text_tokens(read_kaldi_map(args.text).values(), args.out_dir, config)
    return 0
