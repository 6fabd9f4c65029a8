"""``saer REF HYP``: score code-switched ASR output with SAER (see SAER_SPEC.md)."""

from __future__ import annotations

import argparse
import json
import sys

from cstoolkit.cli.common import positive_int, run_main
from cstoolkit.data.atomic import atomic_write_text
from cstoolkit.data.transcripts import FORMATS
from cstoolkit.metrics.plots import plot_breakdown, plot_format
from cstoolkit.metrics.report import format_alignment, per_utterance_tsv, write_html
from cstoolkit.metrics.saer import SAERConfig
from cstoolkit.metrics.scoring import score_files
from cstoolkit.metrics.semantic import DEFAULT_MODEL, PACKAGED
from cstoolkit.text import UNIT_MODES, NormalizeOptions, UnitOptions

EPILOG = f"""\
examples:
  saer ref.txt hyp.txt --model use-multilingual          SAER with a model shipped by a pip package
  saer ref.txt hyp.txt --lambda 1 --json                 mixed error rate only (no model), as JSON
  saer ref.txt hyp.txt --utt2lang utt2lang --html r.html --plot r.png --model e5-small-nano

models that work offline: {", ".join(PACKAGED)}; or a local sentence-transformers directory, or a model id that is
already in the Hugging Face cache (the default, {DEFAULT_MODEL}, as in the SAER paper)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``saer`` argument parser."""
    p = argparse.ArgumentParser(
        prog="saer",
        description="Semantic-Aware Error Rate: lambda * form error + (1 - lambda) * semantic error.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("ref", help="reference transcripts")
    p.add_argument("hyp", help="hypothesis transcripts")
    p.add_argument("--format", choices=FORMATS, default="kaldi",
                   help="kaldi: 'uttid text' lines (default); tsv: uttid<TAB>text; jsonl: {id,text}; "
                        "plain: one transcript per line, paired by position")  # fmt: skip
    p.add_argument("--lambda", dest="lam", type=float, default=0.5, help="weight of the form error (default 0.5)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"semantic model (default {DEFAULT_MODEL})")
    p.add_argument("--units", choices=UNIT_MODES, default="mixed", help="unit mode (default mixed)")
    p.add_argument("--char-scripts", default=None, metavar="SPEC",
                   help="per-character scripts in mixed mode: '+Hangul', '-Thai' or a list 'Han,Katakana'")  # fmt: skip
    p.add_argument("--no-normalize", action="store_true", help="switch every normalisation step off")
    p.add_argument("--no-nfkc", action="store_true", help="skip Unicode NFKC")
    p.add_argument("--no-casefold", action="store_true", help="keep case")
    p.add_argument("--keep-punctuation", action="store_true", help="keep punctuation")
    p.add_argument("--semantic-weighting", choices=("mean", "length"), default="mean",
                   help="corpus semantic error: mean over utterances or weighted by reference units")  # fmt: skip
    p.add_argument("--utt2lang", metavar="FILE", help="'uttid tag' lines for per-tag (language pair) breakdowns")
    p.add_argument("--utt2seg", metavar="FILE", help="word-level language segments (JSON lines) of the reference")
    p.add_argument("--missing", choices=("error", "empty"), default="error",
                   help="a reference id without hypothesis: error (default) or score as empty")  # fmt: skip
    p.add_argument("--cache", metavar="FILE", help="sqlite file caching embeddings across runs")
    p.add_argument("-j", "--jobs", type=positive_int, default=1,
                   help="processes embedding a large corpus side by side (default 1; try the core count)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--per-utt", metavar="FILE.tsv", help="write per-utterance scores")
    p.add_argument("--align", action="store_true", help="print alignments of every utterance")
    p.add_argument("--html", metavar="FILE", help="write an HTML report with coloured alignments")
    p.add_argument("--plot", metavar="FILE.png", help="write per-script / per-tag error bars")
    return p


def config_from_args(args: argparse.Namespace) -> SAERConfig:
    """SAERConfig from parsed options."""
    if args.no_normalize:
        normalize = NormalizeOptions.none()
    else:
        normalize = NormalizeOptions(
            nfkc=not args.no_nfkc, casefold=not args.no_casefold, punctuation=not args.keep_punctuation
        )
    return SAERConfig(
        lam=args.lam,
        model=args.model,
        units=UnitOptions.from_spec(args.units, args.char_scripts),
        normalize=normalize,
        semantic_weighting=args.semantic_weighting,
    )


def run(args: argparse.Namespace) -> int:
    """Score and print/write what was asked."""
    if args.plot is not None:
        plot_format(args.plot)  # a bad extension fails before the scoring, not after
    result = score_files(args.ref, args.hyp, config_from_args(args), args.format, args.missing,
                         args.utt2lang, args.utt2seg, args.cache, jobs=args.jobs)  # fmt: skip
    if args.per_utt is not None:
        atomic_write_text(args.per_utt, per_utterance_tsv(result))
    if args.html is not None:
        write_html(result, args.html)
    if args.plot is not None:
        plot_breakdown(result, args.plot)
    if args.align:
        print("\n\n".join(format_alignment(utt) for utt in result.per_utterance), end="\n\n")
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(result.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``saer`` console script."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return run_main(lambda: run(args), prog="saer")


if __name__ == "__main__":
    sys.exit(main())
