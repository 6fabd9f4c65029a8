"""``cstk evaluate-tts``: judge synthesis folders with the CS-ASR (hyp.txt, SAER) and speaker similarity."""

from __future__ import annotations

import argparse

from cstoolkit.cli.common import open_decoder, positive_int

HELP = "judge synthesis folders: CS-ASR transcripts scored with SAER, and speaker similarity to the real speakers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--synth-dir", action="append", required=True, help="a synthesis folder (repeatable)")
    parser.add_argument("--data-dir", required=True, help="the real data directory they were made from (utt_embed.scp)")
    parser.add_argument("--asr-dir", required=True, help="the CS-ASR that reads them back (e.g. exp/asr)")
    parser.add_argument("--table", help="write the comparison of the folders here (JSON, and .tsv beside it)")
    parser.add_argument("--nj", type=positive_int, default=1, help="processes for the features")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (the CS-ASR)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. asr.decode.beam_size=4")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.config import load_config

    cfg = load_config(args.overrides)
    bundle, decode_cfg = open_decoder(args.asr_dir, args.device, cfg, args.overrides, "asr")
    from cstoolkit.tts.evaluate import evaluate_synthesis, write_summary

    rows = [evaluate_synthesis(d, args.data_dir, bundle, decode_cfg, cfg, args.nj) for d in args.synth_dir]
    if args.table:
        write_summary(rows, args.table)
    return 0
