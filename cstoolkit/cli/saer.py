"""``saer REF HYP``: score code-switched ASR output with SAER (docs/SAER.md); ``saer compare REF HYP_A HYP_B``:
is system B better than system A, and significantly?"""

from __future__ import annotations

import argparse
import json
import sys

from cstoolkit.cli.common import positive_int, run_main
from cstoolkit.core.atomic import atomic_write_text
from cstoolkit.core.runtime import init_process
from cstoolkit.data.transcripts import FORMATS
from cstoolkit.metrics.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, add_intervals
from cstoolkit.metrics.comparison import DEFAULT_TEST, TESTS
from cstoolkit.metrics.plots import plot_breakdown, plot_format
from cstoolkit.metrics.report import format_alignment, per_utterance_tsv, write_html
from cstoolkit.metrics.saer import SAERConfig
from cstoolkit.metrics.scoring import compare_files, score_files
from cstoolkit.metrics.semantic import DEFAULT_MODEL, PACKAGED
from cstoolkit.text import UNIT_MODES, NormalizeOptions, UnitOptions

#: The first argument that selects the comparison (score a file of that name as ./compare).
COMPARE = "compare"

EPILOG = f"""\
examples:
  saer ref.txt hyp.txt --model use-multilingual          SAER with a model shipped by a pip package
  saer ref.txt hyp.txt --lambda 1 --json                 mixed error rate only (no model), as JSON
  saer ref.txt hyp.txt --lambda 1 --ci                   with 95% bootstrap intervals
  saer ref.txt hyp.txt --utt2lang utt2lang --html r.html --plot r.png --model e5-small-nano
  saer compare ref.txt a.txt b.txt --lambda 1            B - A with intervals and p-values (saer compare -h)

models that work offline: {", ".join(PACKAGED)}; or a local sentence-transformers directory, or a model id that is
already in the Hugging Face cache (the default, {DEFAULT_MODEL}, as in the SAER paper)."""

COMPARE_EPILOG = """\
Both hypothesis files must cover the reference's ids. Both systems are resampled with the same utterances (paired
bootstrap): the interval is that of B - A, and the p-value is the chance of a difference at least as large (either
sign) if the systems were equally good: paired bootstrap on the shifted distribution (Koehn 2004), or approximate
randomization with --test ar (better on a few dozen utterances). The smallest p-value is 1 / (N + 1).

examples:
  saer compare ref.txt a.txt b.txt --lambda 1
  saer compare ref.txt a.txt b.txt --model use-multilingual --utt2lang utt2lang --test ar --json"""


def level(text: str) -> float:
    """argparse type: a confidence level strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1 such as 0.95, got {text!r}")
    return value


def seed(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 0, got {text!r}")
    return value


def _add_scoring_options(p: argparse.ArgumentParser, word_languages: bool = True) -> None:
    """The options that decide the score (shared by ``saer`` and ``saer compare``)."""
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="kaldi",
        help="kaldi: 'uttid text' lines (default); tsv: uttid<TAB>text; jsonl: {id,text}; "
        "plain: one transcript per line, paired by position",
    )
    p.add_argument("--lambda", dest="lam", type=float, default=0.5, help="weight of the form error (default 0.5)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"semantic model (default {DEFAULT_MODEL})")
    p.add_argument("--units", choices=UNIT_MODES, default="mixed", help="unit mode (default mixed)")
    p.add_argument(
        "--char-scripts",
        default=None,
        metavar="SPEC",
        help="per-character scripts in mixed mode: '+Hangul', '-Thai' or a list 'Han,Katakana'",
    )
    p.add_argument("--no-normalize", action="store_true", help="switch every normalisation step off")
    p.add_argument(
        "--verbalize",
        action="store_true",
        help="write numbers, dates, times, amounts and acronyms out on both sides before scoring, in each "
        "utterance's languages (--utt2lang pair, else its scripts): '3 meetings' == 'three meetings'",
    )
    p.add_argument("--no-nfkc", action="store_true", help="skip Unicode NFKC")
    p.add_argument("--no-casefold", action="store_true", help="keep case")
    p.add_argument("--keep-punctuation", action="store_true", help="keep punctuation")
    p.add_argument(
        "--semantic-weighting",
        choices=("mean", "length"),
        default="mean",
        help="corpus semantic error: mean over utterances or weighted by reference units",
    )
    p.add_argument("--utt2lang", metavar="FILE", help="'uttid tag' lines for per-tag (language pair) breakdowns")
    if word_languages:
        p.add_argument("--utt2seg", metavar="FILE", help="word-level language segments (JSON lines) of the reference")
    p.add_argument(
        "--missing",
        choices=("error", "empty"),
        default="error",
        help="a reference id without hypothesis: error (default) or score as empty",
    )
    p.add_argument("--cache", metavar="FILE", help="sqlite file caching embeddings across runs")
    p.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
        default=1,
        help="processes embedding a large corpus side by side (default 1; try the core count)",
    )


def _add_resampling_options(p: argparse.ArgumentParser, bootstrap_help: str, default: int | None) -> None:
    p.add_argument("--bootstrap", type=positive_int, default=default, metavar="N", help=bootstrap_help)
    p.add_argument(
        "--seed",
        type=seed,
        default=DEFAULT_SEED,
        help=f"seed of the resampling: same seed, same intervals (default {DEFAULT_SEED})",
    )
    p.add_argument(
        "--level", type=level, default=DEFAULT_LEVEL, help=f"coverage of the intervals (default {DEFAULT_LEVEL})"
    )


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
    _add_scoring_options(p)
    p.add_argument(
        "--ci",
        action="store_true",
        help="percentile-bootstrap intervals over utterances for every figure, tag and script",
    )
    _add_resampling_options(p, f"bootstrap resamples (default {DEFAULT_RESAMPLES}; implies --ci)", None)
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--per-utt", metavar="FILE.tsv", help="write per-utterance scores")
    p.add_argument("--align", action="store_true", help="print alignments of every utterance")
    p.add_argument("--html", metavar="FILE", help="write an HTML report with coloured alignments")
    p.add_argument("--plot", metavar="FILE.png", help="write per-script / per-tag error bars")
    return p


def build_compare_parser() -> argparse.ArgumentParser:
    """The ``saer compare`` argument parser."""
    p = argparse.ArgumentParser(
        prog=f"saer {COMPARE}",
        description="Paired comparison of two systems: B - A of SAER, form error and semantic error (and per tag), "
        "with intervals and p-values.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("ref", help="reference transcripts")
    p.add_argument("hyp_a", help="hypothesis transcripts of system A (the baseline)")
    p.add_argument("hyp_b", help="hypothesis transcripts of system B")
    _add_scoring_options(p, word_languages=False)
    _add_resampling_options(
        p, f"bootstrap resamples and randomization trials (default {DEFAULT_RESAMPLES})", DEFAULT_RESAMPLES
    )
    p.add_argument(
        "--test",
        choices=tuple(TESTS),
        default=DEFAULT_TEST,
        help="p-value: paired bootstrap (default) or ar, approximate randomization",
    )
    p.add_argument("--json", action="store_true", help="print the full comparison as JSON")
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
        verbalize=args.verbalize,
    )


def run(args: argparse.Namespace) -> int:
    """Score and print/write what was asked."""
    if args.plot is not None:
        plot_format(args.plot)  # a bad extension fails before the scoring, not after
    config = config_from_args(args)
    result = score_files(
        args.ref, args.hyp, config, args.format, args.missing, args.utt2lang, args.utt2seg, args.cache, jobs=args.jobs
    )
    if args.ci or args.bootstrap is not None:
        add_intervals(result, args.bootstrap or DEFAULT_RESAMPLES, args.seed, args.level)
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


def run_compare(args: argparse.Namespace) -> int:
    """Score both systems, compare them and print the summary or the JSON document."""
    result = compare_files(
        args.ref,
        args.hyp_a,
        args.hyp_b,
        config_from_args(args),
        args.format,
        args.missing,
        args.utt2lang,
        args.cache,
        args.jobs,
        args.bootstrap,
        args.seed,
        args.level,
        args.test,
    )
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(result.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``saer`` console script (``saer compare ...`` for the comparison)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    status = run_main(init_process, prog="saer")  # before a semantic model loads torch (cstoolkit.core.runtime)
    if status:
        return status
    if argv[:1] == [COMPARE]:
        compare_args = build_compare_parser().parse_args(argv[1:])
        return run_main(lambda: run_compare(compare_args), prog="saer")
    args = build_parser().parse_args(argv)
    return run_main(lambda: run(args), prog="saer")


if __name__ == "__main__":
    sys.exit(main())
