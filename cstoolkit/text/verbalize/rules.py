"""Find what is written with digits or capitals in one language segment and replace it with its reading.

Recognised, in this order: ISO dates (2025-03-05), clock times (10:30, 10h30), currency amounts ($5, 5 €),
percentages (50%), ordinals (3rd, 1er, 3º, 3-й), numbers (1,234.5 or 1.234,5 by the language's separators) and
acronyms (GPU, NASA, США). A number's reading depends on the words next to it: 2025 before 年 is a year read digit
by digit in Chinese, 2 before a measure word is 两, 3 before a Korean counter is native (세 개), 2025 before год is
an ordinal in Russian, 1999 (and 2025 after "in", "since" ...) is a year in English.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import regex

from cstoolkit.text.verbalize import korean
from cstoolkit.text.verbalize.acronyms import is_acronym, read_acronym
from cstoolkit.text.verbalize.numbers import COMMA_DECIMAL, digits, ordinal, year
from cstoolkit.text.verbalize.readings import clock, date, money, number, percent

_NUM = r"\d+(?:[.,]\d+)*"
_SYMBOLS = "$€£¥₹₽₩"
#: ordinal suffixes each language writes after digits
ORDINAL_SUFFIXES = {
    "en": ("st", "nd", "rd", "th"),
    "fr": ("er", "re", "e", "ème"),
    "es": ("º", "ª", ".º"),
    "it": ("º", "ª"),
    "ru": ("-й", "-я", "-е", "-го"),
}
#: Chinese/Cantonese measure words after which 2 is 两/兩 (and the hour mark: 两点)
MEASURE_WORDS = frozenset(
    "个個本只隻张張次位件杯天块塊辆輛条條台家份种種双雙节節周岁歲名首部篇场場瓶碗口层層间間架樽点點"
)
#: words before a number that make 2000-2099 a year in English
_YEAR_CUES = "in since from until till by of year before after during around circa"
YEAR_CUES = frozenset(_YEAR_CUES.split())
RUSSIAN_YEAR_CASES = {"год": "n", "года": "g", "году": "p", "годом": "i"}


@lru_cache(maxsize=16)
def pattern(lang: str) -> regex.Pattern[str]:
    """The matcher of ``lang`` (ordinal suffixes differ between languages)."""
    suffixes = "|".join(regex.escape(s) for s in sorted(ORDINAL_SUFFIXES.get(lang, ()), key=len, reverse=True))
    ordinals = rf"|(?P<ord>\d+)(?P<suf>{suffixes})(?![\w])" if suffixes else ""
    return regex.compile(
        rf"(?P<date>(?<!\d)\d{{4}}-\d{{1,2}}-\d{{1,2}}(?!\d))"
        rf"|(?P<time>(?<![\d:.,])(?:[01]?\d|2[0-3])[:h][0-5]\d(?![\d:]))"
        rf"|(?P<sym1>[{_SYMBOLS}])\s?(?P<amt1>{_NUM})"
        rf"|(?P<amt2>{_NUM})\s?(?P<sym2>[{_SYMBOLS}])"
        rf"|(?P<pct>{_NUM})\s?[%٪]"
        rf"{ordinals}"
        rf"|(?P<minus>(?<![\w.,])-)?(?P<num>{_NUM})"
        rf"|(?P<acro>(?<![\w])\p{{Lu}}{{2,}}(?![\w]))",
    )


def parse_number(text: str, lang: str) -> tuple[int, str | None] | None:
    """``(integer, fraction digits or None)`` of a written number with the language's separators (1,234.5 in en,
    1.234,5 in de); None when it is no number (1.2.3)."""
    thousands, point = (".", ",") if lang in COMMA_DECIMAL else (",", ".")
    head, sep, tail = text.rpartition(point)
    if not sep:
        head, tail = text, ""
    elif not tail:
        return None
    groups = head.split(thousands)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        if sep or len(groups) != 2 or lang not in COMMA_DECIMAL:
            return None
        return int(groups[0]), groups[1]  # 3.5 in a decimal-comma language: still a decimal
    if not all(g.isdigit() for g in groups) or (tail and not tail.isdigit()):
        return None
    return int("".join(groups)), tail if sep else None


def parse_amount(text: str, lang: str) -> tuple[int, str | None] | None:
    """:func:`parse_number` for an amount or a percentage, which may be written with the other convention than the
    segment's language (``21,50 €`` inside an English segment of a Spanish sentence): the language's separators
    first, then the other ones."""
    other = "en" if lang in COMMA_DECIMAL else "de"
    return parse_number(text, lang) or parse_number(text, other)


def _next_word(text: str, end: int) -> str:
    rest = text[end:].lstrip()
    match = regex.match(r"[\p{L}\p{M}]+", rest)
    return match.group(0) if match else ""


def _previous_word(text: str, start: int) -> str:
    match = regex.search(r"([\p{L}\p{M}]+)\W*$", text[:start])
    return match.group(1) if match else ""


def read_number(written: str, lang: str, text: str, start: int, end: int) -> str:
    """The reading of the number ``written`` at ``text[start:end]``, by the words around it."""
    parsed = parse_number(written, lang)
    if parsed is None:
        return " ".join(read_number(part, lang, text, start, end) for part in regex.split(r"[.,]", written) if part)
    n, fraction = parsed
    after = text[end:].lstrip()
    if fraction is None:
        plain = written.isdigit()
        if plain and len(written) > 1 and written.startswith("0"):
            return digits(written, lang)
        if lang in ("zh", "yue"):
            if after.startswith("年") and len(written) == 4:
                return year(n, lang)
            if after[:1] in MEASURE_WORDS and n == 2:
                return "两" if lang == "zh" else "兩"
        if lang == "ko" and after:
            if after.startswith("월") and n in korean.MONTHS:
                return korean.MONTHS[n][:-1]
            if after.startswith(korean.NATIVE_COUNTERS) and korean.native(n):
                return korean.native(n) or ""
        if lang == "ru" and _next_word(text, end) in RUSSIAN_YEAR_CASES:
            return ordinal(n, lang, case=RUSSIAN_YEAR_CASES[_next_word(text, end)])
        if (
            plain
            and len(written) == 4
            and (
                (lang in ("en", "de", "hi") and 1100 <= n <= 1999)
                or (lang == "en" and 2000 <= n <= 2099 and _previous_word(text, start).lower() in YEAR_CUES)
            )
        ):
            return year(n, lang)
    return number(n, fraction, lang)


def _space_korean(words: str, text: str, end: int) -> str:
    """A space between a Korean number and the counter written right after it (세 개), not before 월 (삼월)."""
    nxt = text[end : end + 1]
    return words + " " if nxt and regex.match(r"\p{Hangul}", nxt) and nxt != "월" else words


def verbalize(text: str, lang: str, known: Callable[[str], bool] | None = None) -> str:
    """``text`` (one segment in ``lang``) with numbers, dates, times, amounts and acronyms written as they are read.

    ``known``: tells whether a lower-cased all-caps word is a known word (read as a word, not spelled).
    """
    out: list[str] = []
    pos = 0
    for match in pattern(lang).finditer(text):
        groups = match.groupdict()
        words = _reading(match, groups, lang, text, known)
        if words is None:
            continue
        if lang == "ko" and groups["num"] is not None:
            words = _space_korean(words, text, match.end())
        out.append(text[pos : match.start()])
        out.append(words)
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _reading(match: regex.Match, groups: dict, lang: str, text: str, known: Callable[[str], bool] | None) -> str | None:
    """The words for one match (None: leave it as written)."""
    if groups["date"]:
        y, mo, d = (int(x) for x in groups["date"].split("-"))
        return date(y, mo, d, lang) if 1 <= mo <= 12 and 1 <= d <= 31 else None
    if groups["time"]:
        h, m = (int(x) for x in regex.split("[:h]", groups["time"]))
        return clock(h, m, lang)
    symbol, amount = groups["sym1"] or groups["sym2"], groups["amt1"] or groups["amt2"]
    if symbol:
        parsed = parse_amount(amount, lang)
        return money(*parsed, symbol, lang) if parsed else None
    if groups["pct"]:
        parsed = parse_amount(groups["pct"], lang)
        return percent(*parsed, lang) if parsed else None
    if groups.get("ord"):
        n = int(groups["ord"])
        return _ordinal(n, groups["suf"], lang)
    if groups["num"]:
        words = read_number(groups["num"], lang, text, match.start("num"), match.end())
        if not groups["minus"]:
            return words
        return _minus(lang) + ("" if lang in ("zh", "yue", "ja") else " ") + words
    if groups["acro"] and is_acronym(groups["acro"]):
        return read_acronym(groups["acro"], lang, known)
    return None


def _ordinal(n: int, suffix: str, lang: str) -> str:
    if lang == "es" and suffix == "ª":
        return ordinal(n, lang)[:-1] + "a"
    if lang == "it" and suffix == "ª":
        return ordinal(n, lang)[:-1] + "a"
    if lang == "fr" and suffix == "re" and n == 1:
        return "première"
    if lang == "ru":
        gender = {"-я": "f", "-е": "n"}.get(suffix, "m")
        return ordinal(n, lang, gender=gender, case="g" if suffix == "-го" else "n")
    return ordinal(n, lang)


def _minus(lang: str) -> str:
    return {
        "en": "minus",
        "de": "minus",
        "fr": "moins",
        "es": "menos",
        "it": "meno",
        "ru": "минус",
        "ar": "سالب",
        "hi": "ऋण",
        "zh": "负",
        "yue": "負",
        "ja": "マイナス",
        "ko": "마이너스",
    }[lang]
