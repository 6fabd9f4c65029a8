"""An external generator (a shell command printing JSON lines, e.g. an LLM behind it): good lines are kept, every
bad line (wrong script, malformed JSON, duplicate, too long, excluded, ...) is rejected with its reason and line
number and never kept."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cstoolkit.errors import ConfigError
from cstoolkit.text.generate import Settings, collect_lines, run_command, sentence_key

GOOD_ES = {"pair": "es-en", "segments": [{"lang": "es", "text": "Mañana voy al"}, {"lang": "en", "text": "gym"}]}
GOOD_ZH = {
    "pair": "zh-en",
    "kind": "alternation",
    "segments": [
        {"lang": "zh", "text": "我今天很累"},
        {"lang": "en", "text": "but I still have to finish this report"},
    ],
}
GOOD_AR = {
    "pair": "ar-en",
    "segments": [
        {"lang": "ar", "text": "عندي"},
        {"lang": "en", "text": "meeting"},
        {"lang": "ar", "text": "غدا في المكتب"},
    ],
}
LINES = [
    GOOD_ES,  # 1 kept, kind inferred: insertion
    GOOD_ZH,  # 2 kept
    {"pair": "zh-en", "segments": [{"lang": "zh", "text": "我今天去"}, {"lang": "en", "text": "商场"}]},  # 3
    {"pair": "ar-en", "segments": [{"lang": "ar", "text": "hello"}, {"lang": "en", "text": "meeting"}]},  # 4
    '{"pair": "es-en", "segments": [',  # 5 malformed
    {"pair": "es-en", "segments": [{"lang": "es", "text": "MAÑANA voy al"}, {"lang": "en", "text": "gym!"}]},  # 6
    {"pair": "es-en", "segments": [{"lang": "es", "text": "hoy " * 30}, {"lang": "en", "text": "meeting"}]},  # 7
    {"pair": "es-en", "segments": [{"lang": "es", "text": "El lunes tengo una"}, {"lang": "en", "text": "meeting"}]},
    {"pair": "xx-en", "segments": [{"lang": "es", "text": "hola"}, {"lang": "en", "text": "hi"}]},  # 9
    {"pair": "es-en", "segments": [{"lang": "es", "text": "hola amigo que tal"}]},  # 10
    {"pair": "ja-en", "kind": "congruent", "segments": [{"lang": "ja", "text": "私は"}, {"lang": "en", "text": "x"}]},
    ["not", "an", "object"],  # 12
    GOOD_AR,  # 13 kept
]
REASONS = {
    3: "segment 2 (en) has Han text; en is written in Latin",
    4: "segment 1 (ar) has Latin text; ar is written in Arabic",
    5: "malformed JSON (Expecting value at column 32)",
    6: "duplicate of command line 1",
    7: "too long: 31 units (max-units 20)",
    8: "excluded sentence (in an --exclude file)",
    9: "unknown language pair 'xx-en'",
    10: "only es: not code-switched",
    11: "congruent does not apply to ja-en (word orders differ)",
    12: "not a JSON object",
}


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "llm.py"
    lines = [line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in LINES]
    path.write_text(
        "import os, sys\n"
        "assert os.environ['CSTK_PER_PAIR'] == '5' and 'es-en' in os.environ['CSTK_PAIRS']\n"
        f"for line in {lines!r}:\n    print(line)\n    print()\n",
        "utf-8",
    )
    return path


def test_good_lines_are_kept_and_each_bad_one_is_reported_with_its_reason(script: Path, caplog) -> None:
    exclude = frozenset({sentence_key("el lunes tengo una meeting")})
    settings = Settings(pairs=("es-en", "zh-en", "ar-en", "ja-en"), per_pair=5, max_units=20, exclude=exclude)
    result = run_command(f"{sys.executable} {script}", settings)
    kept = [(s.pair, s.kind, s.text, s.source) for s in result.sentences]
    assert kept == [
        ("es-en", "insertion", "Mañana voy al gym", "command line 1"),
        ("zh-en", "alternation", "我今天很累 but I still have to finish this report", "command line 3"),
        ("ar-en", "insertion", "عندي meeting غدا في المكتب", "command line 25"),
    ]
    # the script prints a blank line after each line: line n of LINES is output line 2n - 1
    assert {r["line"]: r["reason"] for r in result.rejected} == {2 * n - 1: reason for n, reason in REASONS.items()}
    assert all(r["text"] for r in result.rejected)
    for n in REASONS:
        assert f"command output line {2 * n - 1} rejected" in caplog.text
    assert result.sentences[1].switch_points == (5,) and result.sentences[1].cmi == pytest.approx(
        100 * (1 - 8 / 13), abs=0.01
    )


def test_kinds_and_quotas_apply_to_command_lines() -> None:
    line = json.dumps(GOOD_ES, ensure_ascii=False)
    other = json.dumps({**GOOD_ES, "segments": [{"lang": "es", "text": "Hoy voy al"}, {"lang": "en", "text": "gym"}]})
    settings = Settings(pairs=("es-en",), per_pair=1, kinds=("insertion",))
    result = collect_lines([(1, line), (2, other), (3, None), (4, json.dumps(GOOD_ZH))], settings)
    assert [s.text for s in result.sentences] == ["Mañana voy al gym"]
    assert [r["reason"] for r in result.rejected] == [
        "es-en insertion already has --per-pair 1 sentences",
        "not valid UTF-8",
        "pair zh-en was not asked for (--pairs)",
    ]
    only_alternation = collect_lines([(1, line)], Settings(pairs=("es-en",), kinds=("alternation",)))
    assert only_alternation.rejected[0]["reason"] == "switch kind insertion was not asked for (--kinds)"
    assert only_alternation.shortfalls[0]["made"] == 0


def test_a_failing_or_slow_command_is_one_error(tmp_path: Path) -> None:
    settings = Settings(pairs=("es-en",))
    with pytest.raises(ConfigError, match="--command exited with status 3"):
        run_command(f"{sys.executable} -c 'import sys; sys.exit(3)'", settings)
    with pytest.raises(ConfigError, match=r"--command ran past 0\.5 s"):
        run_command(f"{sys.executable} -c 'import time; time.sleep(5)'", settings, timeout=0.5)
