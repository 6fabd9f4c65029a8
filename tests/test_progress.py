"""Progress output: a bar on a terminal, whole lines (no carriage returns) when stderr is a file."""

from __future__ import annotations

import io

from tqdm import tqdm

from cstoolkit.progress import LineProgress, progress_bar


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_progress_prints_whole_lines_with_rate_and_eta() -> None:
    out = io.StringIO()
    with LineProgress(total=4, desc="decode", unit="utt", interval=0, file=out) as bar:
        for _ in range(4):
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 5  # one per update and a final one
    assert lines[0].startswith("decode: 1/4 (25%)") and "utt/s" in lines[0] and "<" in lines[0]
    assert lines[-1].startswith("decode: 4/4 (100%)")


def test_line_progress_is_quiet_between_intervals_and_when_disabled() -> None:
    out = io.StringIO()
    for _ in LineProgress(range(1000), desc="x", interval=3600, file=out):
        pass
    assert out.getvalue().count("\n") == 1 and out.getvalue().startswith("x: 1000/1000")
    quiet = io.StringIO()
    with LineProgress(total=3, disable=True, file=quiet) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""


def test_no_done_line_when_the_job_fails() -> None:
    out = io.StringIO()
    try:
        with LineProgress(total=3, desc="x", interval=3600, file=out) as bar:
            bar.update(1)
            raise ValueError("boom")
    except ValueError:
        pass
    assert out.getvalue() == ""


def test_progress_bar_picks_by_terminal() -> None:
    assert isinstance(progress_bar(total=1, file=io.StringIO()), LineProgress)
    bar = progress_bar(total=1, file=FakeTerminal())
    assert isinstance(bar, tqdm)
    bar.close()
