"""``cstk normalize-text``: code-switched text as the front end reads it (numbers, dates, times, amounts and acronyms
written out in the language of their segment; every word given a language of the pair).

    cstk normalize-text --lang zh-en "我有 3 个 meeting 在 2025 年"     ->  我有 三 个 meeting 在 二零二五 年
    cstk normalize-text --lang es-en --segments "<es>tengo 3</es> meetings"
    cstk normalize-text --lang zh-en --text data/test/text > text.spoken   (Kaldi lines ``uttid text``)

Bad input (an unknown language, a malformed tag, a missing file) is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write numbers, dates, amounts and acronyms out as they are read, per language segment (the TTS front end)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sentence", nargs="?", help="the text to normalise (inline tags <es>...</es> allowed)")
    parser.add_argument("--text", help="Kaldi text file 'uttid text': each line normalised to stdout")
    parser.add_argument("--lang", help="language pair, e.g. zh-en or es-en (default: from the scripts of each text)")
    parser.add_argument("--segments", action="store_true", help="print one 'lang: text' line per language segment")


def run(args: argparse.Namespace) -> int:
    from cstoolkit.errors import CstkError, InputFileError
    from cstoolkit.text.verbalize import LANGUAGES, normalize_text

    if (args.sentence is None) == (args.text is None):
        raise CstkError("give one of: a SENTENCE or --text FILE")
    if args.lang:
        unknown = [p for p in args.lang.split("-") if p not in LANGUAGES]
        if unknown or not args.lang.strip("-"):
            raise CstkError(
                f"--lang {args.lang}: unknown language {unknown[0] if unknown else ''!r}; known: {', '.join(LANGUAGES)}"
            )
    if args.text is not None:
        path = Path(args.text)
        if not path.is_file():
            raise InputFileError(path, "no such file")
        items = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                utt, _, text = line.strip().partition(" ")
                items.append((f"{utt} ", text, f"{path}:{number}: "))
    else:
        items = [("", args.sentence, "")]
    for prefix, text, where in items:
        try:
            result = normalize_text(text, args.lang)
        except CstkError as err:
            raise CstkError(f"{where}{err}") from None
        if args.segments:
            print("\n".join(f"{prefix}{s['lang']}: {s['text']}" for s in result.segments))
        else:
            print(prefix + result.text)
    return 0
