"""``cstk synthetic-data``: generated sentences spoken in the voices of a data directory's speakers, by a trained
TTS (``--tts``) or, as the oracle of the demo world, by its own espeak-ng voices (``--espeak``), into a data
directory marked synthetic (``utt2source``) that ``cstk features`` and ``cstk combine-data`` take as any other.

    cstk generate-text --per-pair 50 --exclude data/train --exclude data/dev --exclude data/test \\
        --exclude data/test_novel --out-dir data/gen_text
    cstk synthetic-data --text-dir data/gen_text --speakers-from data/train --tts exp/tts \\
        --held-out data/dev --held-out data/test --held-out data/test_novel --out-dir data/train_tts
"""

from __future__ import annotations

import argparse

from cstoolkit.cli.common import positive_int
from cstoolkit.errors import ConfigError

HELP = "speak generated sentences in the voices of a data directory (TTS, or the demo's espeak-ng voices) as data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-dir", required=True, help="sentences to speak: a cstk generate-text folder")
    parser.add_argument(
        "--speakers-from",
        required=True,
        help="data directory whose speakers say them, in turn (with --tts: also the voice prompts)",
    )
    engine = parser.add_mutually_exclusive_group(required=True)
    engine.add_argument("--tts", help="trained TTS model directory (cstk train-t2s --exp-dir)")
    engine.add_argument(
        "--espeak",
        action="store_true",
        help="the oracle: espeak-ng in the demo corpus's own voices (data.mini settings; demo speakers only)",
    )
    parser.add_argument(
        "--flow", help="with --tts: the flow model directory that speaks (default: the one its t2s.json names)"
    )
    parser.add_argument("--out-dir", required=True, help="data directory to write (audio in <parent>/audio/<name>)")
    parser.add_argument(
        "--held-out",
        action="append",
        default=[],
        help="data directory none of whose sentences may be spoken (refused if one is); its frame overlap with "
        "the generated text is reported (repeatable)",
    )
    parser.add_argument("--max-sentences", type=positive_int, help="speak at most this many (pairs in turn)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the TTS's starting noise")
    parser.add_argument("--nj", type=positive_int, default=None, help="espeak jobs (default: data.nj)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides (--espeak: the data.mini settings of prepare)")


def run(args: argparse.Namespace) -> int:
    import json

    from cstoolkit.config import load_config
    from cstoolkit.data.synthetic import espeak_engine, make_synthetic_dir

    if args.flow and not args.tts:
        raise ConfigError("--flow names the flow model of --tts; the espeak-ng oracle has none")
    cfg = load_config(args.overrides)
    if args.tts:
        from cstoolkit.tts.api import read_info, resolve_flow_dir

        # a missing model, or a flow model that cannot speak its tokens, is refused before torch loads
        resolve_flow_dir(args.tts, read_info(args.tts), args.flow)
        from cstoolkit.tts.speak_dir import tts_engine

        engine, source = tts_engine(args.tts, args.speakers_from, args.seed, args.flow), "tts"
    else:
        from cstoolkit.data.prepare import check_data_config, corpus_config

        check_data_config(cfg.data)
        engine, source = espeak_engine(corpus_config(cfg.data, "mini"), args.nj or int(cfg.data.nj)), "espeak"
    report = make_synthetic_dir(
        args.text_dir, args.speakers_from, args.out_dir, engine, source, args.held_out, args.max_sentences
    )
    print(
        f"{report['utterances']} utterances ({report['hours']} h, {source}) in {args.out_dir}; "
        f"{len(report['skipped'])} left out; frame overlap: {json.dumps(report['frame_overlap'])}"
    )
    return 0
