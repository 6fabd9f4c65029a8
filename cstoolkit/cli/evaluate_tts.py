"""``cstk evaluate-tts``: judge synthesis folders with the CS-ASR (hyp.txt, SAER) and speaker similarity.

``--ground-truth data/test`` judges the real audio the same way (into ``--ground-truth-out``; ``--ground-truth-decode
exp/asr/decode_test`` reuses that decode of it instead of decoding again), the top row of the table.
``--judged-dir`` adds folders judged by an earlier run to the table without judging them again. Table rows: ground
truth, judged folders, then the synthesis folders, each in the order given. Every figure of the table has a bootstrap
interval over utterances, and each row paired p-values against the row it is compared with (``vs``: TTS against
resynthesis and ground truth, resynthesis against copy synthesis, copy synthesis against ground truth;
``<table>_comparisons.tsv``): ``metric.bootstrap`` resamples (0: none), ``metric.seed``, ``metric.ci_level``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import open_decoder, positive_int

HELP = "judge synthesis folders: CS-ASR transcripts scored with SAER, and speaker similarity to the real speakers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--synth-dir", action="append", default=[], help="a synthesis folder to judge (repeatable)")
    parser.add_argument(
        "--judged-dir",
        action="append",
        default=[],
        help="a folder judged earlier: only read into the table (repeatable)",
    )
    parser.add_argument("--data-dir", required=True, help="the real data directory they were made from (utt_embed.scp)")
    parser.add_argument("--asr-dir", required=True, help="the CS-ASR that reads them back (e.g. exp/asr)")
    parser.add_argument("--ground-truth", help="judge the real audio of this data directory too (e.g. data/test)")
    parser.add_argument(
        "--ground-truth-out", help="folder for the ground truth's results (default: ground_truth beside --table)"
    )
    parser.add_argument(
        "--ground-truth-decode",
        help="a finished decode of the ground truth by the same CS-ASR to reuse (e.g. exp/asr/decode_test)",
    )
    parser.add_argument(
        "--table",
        help="write the comparison of the folders here (JSON; .tsv, _by_pair.tsv and _comparisons.tsv beside it)",
    )
    parser.add_argument("--nj", type=positive_int, default=1, help="processes for the features")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (the CS-ASR)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. asr.decode.beam_size=4")


def ground_truth_out(args: argparse.Namespace) -> Path | None:
    """Where the ground truth's results go (CstkError when it cannot be told)."""
    from cstoolkit.errors import CstkError

    if not args.ground_truth:
        if args.ground_truth_out or args.ground_truth_decode:
            raise CstkError("--ground-truth-out and --ground-truth-decode go with --ground-truth DATA_DIR")
        return None
    if args.ground_truth_out:
        return Path(args.ground_truth_out)
    if not args.table:
        raise CstkError("--ground-truth needs --ground-truth-out DIR (or --table, beside which it goes)")
    return Path(args.table).parent / "ground_truth"


def run(args: argparse.Namespace) -> int:
    from cstoolkit.config import load_config
    from cstoolkit.errors import CstkError

    if not (args.synth_dir or args.judged_dir or args.ground_truth):
        raise CstkError("nothing to judge: give --synth-dir, --judged-dir or --ground-truth")
    truth_out = ground_truth_out(args)
    from cstoolkit.tts.eval.evaluate import comparison_row
    from cstoolkit.tts.eval.stats import resampling_of

    cfg = load_config(args.overrides)
    resampling = resampling_of(cfg.metric)  # metric.bootstrap, metric.seed, metric.ci_level: refused before decoding
    judged = [comparison_row(d, resampling) for d in args.judged_dir]  # a folder not judged yet is refused at once
    bundle, decode_cfg = open_decoder(args.asr_dir, args.device, cfg, args.overrides, "asr")
    from cstoolkit.tts.eval.evaluate import evaluate_ground_truth, evaluate_synthesis
    from cstoolkit.tts.eval.stats import add_comparisons
    from cstoolkit.tts.eval.table import write_summary

    rows = []
    if truth_out is not None:
        rows.append(
            evaluate_ground_truth(args.ground_truth, truth_out, bundle, decode_cfg, cfg, args.ground_truth_decode)
        )
    rows += judged
    for d in args.synth_dir:
        evaluate_synthesis(d, args.data_dir, bundle, decode_cfg, cfg, args.nj)
        rows.append(comparison_row(d, resampling))
    if args.table:
        write_summary(add_comparisons(rows, resampling), args.table)
    return 0
