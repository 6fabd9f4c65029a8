"""Splitting normalised text into scoring/modelling units (docs/SAER.md, "Split into units")."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import regex

from cstoolkit.errors import ConfigError
from cstoolkit.text.scripts import KNOWN_SCRIPTS, UNSPACED_SCRIPTS

UnitMode = Literal["mixed", "word", "char"]
UNIT_MODES: tuple[str, ...] = ("mixed", "word", "char")


@dataclass(frozen=True)
class UnitOptions:
    """How text becomes units.

    mode: ``mixed`` (characters of ``char_scripts`` are units, other runs are words), ``word`` (white-space
    separated) or ``char`` (every grapheme except white space).
    char_scripts: scripts split per character in ``mixed`` mode (default: the unspaced scripts; add "Hangul" to score
    Korean per syllable).
    """

    mode: UnitMode = "mixed"
    char_scripts: frozenset[str] = field(default_factory=lambda: frozenset(UNSPACED_SCRIPTS))

    def __post_init__(self) -> None:
        if self.mode not in UNIT_MODES:
            raise ConfigError(f"unknown unit mode {self.mode!r}; choose one of {', '.join(UNIT_MODES)}")
        unknown = sorted(set(self.char_scripts) - set(KNOWN_SCRIPTS))
        if unknown:
            raise ConfigError(f"unknown script name(s) {', '.join(unknown)}; known: {', '.join(KNOWN_SCRIPTS)}")

    @classmethod
    def from_spec(cls, mode: str = "mixed", char_scripts: str | None = None) -> UnitOptions:
        """Build from CLI-style strings; ``char_scripts`` like "+Hangul", "-Thai" or "Han,Hiragana,Katakana"."""
        scripts = set(UNSPACED_SCRIPTS)
        if char_scripts:
            items = [item.strip() for item in char_scripts.split(",") if item.strip()]
            if items and not any(item[0] in "+-" for item in items):
                scripts = set()
            for item in items:
                if item.startswith("-"):
                    scripts.discard(item[1:])
                else:
                    scripts.add(item.lstrip("+"))
        return cls(mode=mode, char_scripts=frozenset(scripts))  # type: ignore[arg-type]

    @property
    def signature(self) -> str:
        """``mixed``, ``word``, ``char`` or ``mixed[+Hangul]`` when the character scripts differ from the default."""
        if self.mode != "mixed" or self.char_scripts == frozenset(UNSPACED_SCRIPTS):
            return self.mode
        added = sorted(self.char_scripts - set(UNSPACED_SCRIPTS))
        removed = sorted(set(UNSPACED_SCRIPTS) - self.char_scripts)
        return "mixed[" + ",".join([*(f"+{s}" for s in added), *(f"-{s}" for s in removed)]) + "]"

    @cached_property
    def pattern(self) -> regex.Pattern[str]:
        """Compiled splitter for this mode."""
        if self.mode == "word":
            return regex.compile(r"\S+")
        if self.mode == "char":
            return regex.compile(r"(?!\s)\X")
        if not self.char_scripts:
            return regex.compile(r"\S+")
        klass = "".join(rf"\p{{scx={name}}}" for name in sorted(self.char_scripts))
        return regex.compile(rf"(?!\s)(?=[{klass}])\X|[^\s{klass}]+")


DEFAULT_UNITS = UnitOptions()


def split_units(text: str, options: UnitOptions = DEFAULT_UNITS) -> list[str]:
    """Split already-normalised text into units.

    >>> split_units("我今天去 shopping mall 买东西")
    ['我', '今', '天', '去', 'shopping', 'mall', '买', '东', '西']
    """
    return options.pattern.findall(text)
