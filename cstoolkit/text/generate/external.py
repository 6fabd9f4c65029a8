"""Sentences from an external generator (an LLM behind a shell command, as SwitchLingua's LinguaMaster): JSON
lines ``{"pair": "es-en", "segments": [{"lang": "es", "text": "..."}, ...], "kind": "insertion"}`` (``kind``
optional) go through the checks generated sentences pass; a line that fails is rejected with its reason and line
number, never kept.

The command runs through the shell with the settings in its environment: ``CSTK_PAIRS`` and ``CSTK_KINDS``
(comma-separated), ``CSTK_PER_PAIR``, ``CSTK_SEED``, ``CSTK_MIN_UNITS``, ``CSTK_MAX_UNITS``.

A line without ``kind`` gets one from its shape: insertion when every English segment has at most 3 units and the
matrix language has more units than English; else alternation when it switches at most twice; else congruent
lexicalisation where the pair allows it, alternation otherwise.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
from collections.abc import Iterable
from typing import Any

from cstoolkit.errors import ConfigError
from cstoolkit.text.generate.data import DATA_DIR, ENGLISH, KINDS, available_pairs, languages, pair_languages
from cstoolkit.text.generate.generator import Collector, Result, Settings, applicable_kinds
from cstoolkit.text.generate.measure import (
    Analysis,
    SentenceRejected,
    analyse,
    check_segments,
    merge_segments,
    store_text,
)

log = logging.getLogger(__name__)
#: the most of a rejected line that generation.json keeps
LINE_PREVIEW = 200


def infer_kind(pair: str, analysis: Analysis) -> str:
    """The switch kind of a sentence that does not name one (see the module docstring)."""
    matrix, _ = pair_languages(pair)
    runs: list[tuple[str | None, int]] = []
    for lang in analysis.unit_langs:
        if lang is None:
            continue
        if runs and runs[-1][0] == lang:
            runs[-1] = (lang, runs[-1][1] + 1)
        else:
            runs.append((lang, 1))
    english = [n for lang, n in runs if lang == ENGLISH]
    matrix_units = sum(n for lang, n in runs if lang == matrix)
    if english and max(english) <= 3 and matrix_units > sum(english):
        return "insertion"
    if analysis.switches <= 2 or "congruent" not in applicable_kinds(pair):
        return "alternation"
    return "congruent"


def _segments(record: dict[str, Any]) -> list[tuple[str, str]]:
    segments = record.get("segments")
    ok = isinstance(segments, list) and segments
    ok = ok and all(
        isinstance(s, dict) and isinstance(s.get("lang"), str) and isinstance(s.get("text"), str) for s in segments
    )
    if not ok:
        raise SentenceRejected('"segments" must be a non-empty list of {"lang": ..., "text": ...} objects')
    return [(s["lang"], store_text(s["text"])) for s in segments]


def check_line(line: str, settings: Settings) -> tuple[str, str | None, list[tuple[str, str]]]:
    """``(pair, kind or None, merged segments)`` of one output line; SentenceRejected with the reason."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise SentenceRejected(f"malformed JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(record, dict):
        raise SentenceRejected("not a JSON object")
    pair = record.get("pair")
    if not isinstance(pair, str):
        raise SentenceRejected('no "pair" (a string like "es-en")')
    if pair not in available_pairs():
        raise SentenceRejected(f"unknown language pair {pair!r}")
    if pair not in settings.pairs:
        raise SentenceRejected(f"pair {pair} was not asked for (--pairs)")
    kind = record.get("kind")
    if kind is not None:
        if kind not in KINDS:
            raise SentenceRejected(f"unknown switch kind {kind!r}")
        if kind not in applicable_kinds(pair):
            raise SentenceRejected(f"{kind} does not apply to {pair} (word orders differ)")
    segments = _segments(record)
    langs = languages(DATA_DIR)
    matrix, english = pair_languages(pair)
    check_segments(segments, (matrix, english), {code: langs[code].scripts for code in (matrix, english)})
    return pair, kind, merge_segments(segments)


def collect_lines(lines: Iterable[tuple[int, str | None]], settings: Settings, command: str | None = None) -> Result:
    """Validate numbered output lines (None: a line that is not UTF-8) and keep the good ones, at most --per-pair
    per pair and kind. Blank lines are skipped; every other rejected line is logged and recorded with its reason."""
    result = Result(settings, source="command", command=command)
    collector = Collector(settings, result)
    for number, line in lines:
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise SentenceRejected("not valid UTF-8")
            pair, kind, segments = check_line(line, settings)
            analysis = analyse(segments)
            kind = kind or infer_kind(pair, analysis)
            if kind not in settings.kinds:
                raise SentenceRejected(f"switch kind {kind} was not asked for (--kinds)")
            problem = collector.problem(segments, analysis)
            if problem is not None:
                raise SentenceRejected(problem[1])
            if collector.count[(pair, kind)] >= settings.per_pair:
                raise SentenceRejected(f"{pair} {kind} already has --per-pair {settings.per_pair} sentences")
        except SentenceRejected as err:
            preview = (line or "")[:LINE_PREVIEW]
            result.rejected.append({"line": number, "reason": str(err), "text": preview})
            log.warning("command output line %d rejected: %s", number, err)
            continue
        collector.keep(pair, kind, segments, analysis, f"command line {number}")
    short = []
    for pair in settings.pairs:
        for kind in applicable_kinds(pair, settings.kinds):
            made = collector.count[(pair, kind)]
            if made < settings.per_pair:
                reason = f"the command gave {made} acceptable sentences"
                result.shortfalls.append(
                    {"pair": pair, "kind": kind, "asked": settings.per_pair, "made": made, "reason": reason}
                )
                short.append(f"{pair} {kind} {made}")
    if short:
        log.warning(
            "fewer than --per-pair %d sentences from the command for %d pair/kind(s): %s",
            settings.per_pair,
            len(short),
            ", ".join(short[:6]) + (", ..." if len(short) > 6 else ""),
        )
    return result


def run_command(command: str, settings: Settings, timeout: float | None = 600) -> Result:
    """Run ``command`` through the shell (its stderr passes through) and keep the valid sentences of its output.
    ConfigError when it cannot start, fails (non-zero exit) or runs past ``timeout`` seconds."""
    env = {
        **os.environ,
        "CSTK_PAIRS": ",".join(settings.pairs),
        "CSTK_KINDS": ",".join(settings.kinds),
        "CSTK_PER_PAIR": str(settings.per_pair),
        "CSTK_SEED": str(settings.seed),
        "CSTK_MIN_UNITS": str(settings.min_units),
        "CSTK_MAX_UNITS": str(settings.max_units),
    }
    try:  # its own process group, so that a timeout or an interrupt ends the command's children too
        proc = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, env=env, start_new_session=True)
    except OSError as err:
        raise ConfigError(f"--command could not start ({err.strerror}): {command}") from None
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ConfigError(f"--command ran past {timeout} s: {command}") from None
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        raise ConfigError(f"--command exited with status {proc.returncode} (its messages are above): {command}")
    raw_lines = stdout.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    return collect_lines(((n, _decode(raw)) for n, raw in enumerate(raw_lines, start=1)), settings, command)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8").rstrip("\r").lstrip("\ufeff")
    except UnicodeDecodeError:
        return None
