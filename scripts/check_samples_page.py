#!/usr/bin/env python
"""Open the TTS listening page in a real headless browser: check that every audio player can play its file, and
save a screenshot.

    .venv/bin/python scripts/check_samples_page.py exp/tts/samples.html --screenshot docs/samples.png

It runs Chromium (``chromium`` / ``chromium-browser`` / ``google-chrome``; on Debian ``apt-get install chromium``)
twice: ``--dump-dom`` after the page's own audio check has loaded every file's metadata (the ``#audio-check``
element counts the files the browser decoded), and ``--screenshot``. Exit code 0 when every file plays, 1 when
some do not, 2 when no browser is installed or the page is missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=15000"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("page", help="the HTML page (cstk tts-samples --out)")
    p.add_argument("--screenshot", help="PNG to write")
    p.add_argument("--size", default="1280,2400", help="window size for the screenshot (width,height)")
    args = p.parse_args(argv)
    page = Path(args.page).resolve()
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        print("check_samples_page: no Chromium found; install one (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    if not page.is_file():
        print(f"check_samples_page: {page}: no such page", file=sys.stderr)
        return 2
    dom = subprocess.run([browser, *FLAGS, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'id="audio-check"[^>]*data-ok="(\d+)"[^>]*data-bad="(\d+)"[^>]*data-total="(\d+)"', dom.stdout)
    if not found:
        print(f"check_samples_page: {page}: the page's audio check did not run (no #audio-check counts)")
        return 1
    ok, bad, total = map(int, found.groups())
    print(f"{browser}: {ok} of {total} audio files playable, {bad} not, {total - ok - bad} unanswered")
    if args.screenshot:
        out = Path(args.screenshot).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [browser, *FLAGS, f"--window-size={args.size}", f"--screenshot={out}", page.as_uri()],
            capture_output=True,
            timeout=120,
            check=True,
        )
        print(f"screenshot: {out}")
    return 0 if ok == total and total > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
