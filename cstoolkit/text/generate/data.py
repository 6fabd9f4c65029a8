"""The generator's data files: ``languages.yaml`` (scripts and basic word order of each language, the language
pairs), ``lexicons/<pair>.yaml`` (bilingual lexicon by category) and ``frames/<pair>.yaml`` + ``frames/en.yaml``
(sentence frames). Every value in them is a string; a file that breaks that is named in a ConfigError."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cstoolkit.errors import ConfigError

DATA_DIR = Path(__file__).parent
#: the switch kinds (Muysken 2000): an English word or phrase inside a matrix-language frame; a switch at a clause
#: boundary; a structure shared by both languages whose constituents come from either
KINDS: tuple[str, ...] = ("insertion", "alternation", "congruent")
ENGLISH = "en"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Language:
    """One language: its code, name, the Unicode scripts its words are written in and its basic word order."""

    code: str
    name: str
    scripts: frozenset[str]
    order: str


def read_yaml(path: Path) -> Any:
    """A YAML data file whose scalars are all strings (ConfigError naming the file otherwise)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    bad = _non_string(data)
    if bad is not None:
        raise ConfigError(f"{path}: {bad[0]} is {bad[1]!r}, expected a string (quote it)")
    return data


def _non_string(node: Any, where: str = "top") -> tuple[str, Any] | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                return f"key in {where}", key
            found = _non_string(value, f"{where}.{key}")
            if found:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _non_string(value, f"{where}[{index}]")
            if found:
                return found
    elif not isinstance(node, str):
        return where, node
    return None


@lru_cache(maxsize=4)
def _languages(data_dir: Path) -> tuple[dict[str, Language], tuple[str, ...]]:
    spec = read_yaml(data_dir / "languages.yaml")
    langs = {
        code: Language(code, info["name"], frozenset(info["scripts"]), info["order"])
        for code, info in spec["languages"].items()
    }
    pairs = tuple(spec["pairs"])
    for pair in pairs:
        matrix, _, other = pair.partition("-")
        if other != ENGLISH or matrix not in langs:
            raise ConfigError(f"{data_dir / 'languages.yaml'}: pair {pair!r} is not <known language>-en")
    return langs, pairs


def languages(data_dir: Path = DATA_DIR) -> dict[str, Language]:
    """Every language of the generator by code."""
    return _languages(Path(data_dir))[0]


def available_pairs(data_dir: Path = DATA_DIR) -> tuple[str, ...]:
    """The language pairs, each a matrix language mixed with English (``zh-en``, ..., the SwitchLingua pairs)."""
    return _languages(Path(data_dir))[1]


def check_pairs(pairs: list[str] | tuple[str, ...], data_dir: Path = DATA_DIR) -> list[str]:
    """``pairs`` as given, in order and without repeats; ConfigError naming an unknown one."""
    known = available_pairs(data_dir)
    out: list[str] = []
    for pair in pairs:
        if pair not in known:
            raise ConfigError(f"unknown language pair {pair!r}; choose from {', '.join(known)}")
        if pair not in out:
            out.append(pair)
    if not out:
        raise ConfigError("no language pair given")
    return out


def check_kinds(kinds: list[str] | tuple[str, ...]) -> list[str]:
    """``kinds`` without repeats, in the order of KINDS; ConfigError naming an unknown one."""
    for kind in kinds:
        if kind not in KINDS:
            raise ConfigError(f"unknown switch kind {kind!r}; choose from {', '.join(KINDS)}")
    if not kinds:
        raise ConfigError("no switch kind given")
    return [kind for kind in KINDS if kind in kinds]


def pair_languages(pair: str) -> tuple[str, str]:
    """``(matrix, "en")`` of a pair code like ``zh-en``."""
    matrix, _, other = pair.partition("-")
    return matrix, other
