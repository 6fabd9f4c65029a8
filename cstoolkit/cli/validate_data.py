"""``cstk validate-data``: Kaldi-style checks of data directories, every problem explained on its own line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cstoolkit.cli.common import positive_int

HELP = "check Kaldi data directories (a split dir, or a data dir holding train/dev/test) like validate_data_dir.sh"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", help="data directories (DIR/wav.scp) or folders of them")
    parser.add_argument("--no-audio", action="store_true", help="do not open the audio files")
    parser.add_argument(
        "--sample-rate", type=positive_int, default=None, help="expected audio sample rate (default: data.sample_rate)"
    )


def expand(path: Path) -> tuple[list[Path], bool]:
    """A split dir as is; a data folder: its visible sub-folders that hold a Kaldi file or a split's name.

    Returns the directories and whether ``path`` is a data folder (a folder of splits). Hidden folders (leftovers
    of interrupted atomic writes such as ``.train.old.123``) are never taken for splits.
    """
    from cstoolkit.data.kaldi_dir import KALDI_FILES
    from cstoolkit.data.prepare import SPLITS

    if (path / "wav.scp").is_file() or not path.is_dir():
        return [path], False
    subs = sorted(
        p
        for p in path.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and (p.name in SPLITS or any((p / name).exists() for name in KALDI_FILES))
    )
    return (subs, True) if subs else ([path], False)


def run(args: argparse.Namespace) -> int:
    from cstoolkit.data.validate import validate_data_dir, validate_prepared

    sample_rate = args.sample_rate
    if sample_rate is None and not args.no_audio:
        from cstoolkit.config import load_config

        sample_rate = int(load_config([]).data.sample_rate)
    bad = 0
    for root in args.dirs:
        paths, is_data_folder = expand(Path(root))
        if is_data_folder:
            problems = validate_prepared(root, paths)
            for problem in problems:
                print(f"{problem}", file=sys.stderr)
            if problems:
                bad += 1
                print(f"{root}: {len(problems)} problem(s)")
        for path in paths:
            problems = validate_data_dir(path, check_audio=not args.no_audio, sample_rate=sample_rate)
            for problem in problems:
                print(f"{problem}", file=sys.stderr)
            if problems:
                bad += 1
                print(f"{path}: {len(problems)} problem(s)")
            else:
                count = len((path / "wav.scp").read_bytes().splitlines())
                print(f"{path}: OK ({count} utterances)")
    return 2 if bad else 0
