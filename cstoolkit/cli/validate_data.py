"""``cstk validate-data``: Kaldi-style checks of data directories, every problem explained on its own line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "check Kaldi data directories (a split dir, or a data dir holding train/dev/test) like validate_data_dir.sh"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", help="data directories (DIR/wav.scp) or folders of them")
    parser.add_argument("--no-audio", action="store_true", help="do not open the audio files")


def expand(path: Path) -> list[Path]:
    """A split dir as is; a folder without wav.scp: its sub-folders that hold one."""
    if (path / "wav.scp").is_file() or not path.is_dir():
        return [path]
    subs = sorted(p for p in path.iterdir() if (p / "wav.scp").is_file())
    return subs or [path]


def run(args: argparse.Namespace) -> int:
    from cstoolkit.data.validate import validate_data_dir

    bad = 0
    for root in args.dirs:
        for path in expand(Path(root)):
            problems = validate_data_dir(path, check_audio=not args.no_audio)
            for problem in problems:
                print(f"{problem}", file=sys.stderr)
            if problems:
                bad += 1
                print(f"{path}: {len(problems)} problem(s)")
            else:
                count = sum(1 for _ in (path / "wav.scp").open(encoding="utf-8"))
                print(f"{path}: OK ({count} utterances)")
    return 2 if bad else 0
