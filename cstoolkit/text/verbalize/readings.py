"""Readings of the things written with digits: clock times, dates, percentages and currency amounts, per language.

Built from :mod:`~cstoolkit.text.verbalize.numbers` and the word tables of :mod:`~cstoolkit.text.verbalize.words`;
the formats themselves (10:30 -> ten thirty, zehn Uhr dreißig, 十点三十分, 열 시 삼십 분) are written here.
"""

from __future__ import annotations

from cstoolkit.text.verbalize import korean
from cstoolkit.text.verbalize.numbers import cardinal, decimal, digits, ordinal, plural, year
from cstoolkit.text.verbalize.words import CENTS_EN, CURRENCY, HOURS_RU, MONTHS, PERCENT, PERCENT_RU


def number(integer: int, fraction: str | None, lang: str) -> str:
    """An integer or a decimal number as words."""
    return cardinal(integer, lang) if fraction is None else decimal(integer, fraction, lang)


def _hour(h: int, lang: str) -> str:
    """The hour as said on a clock: ein Uhr, une heure, la una ... (feminine or short forms of one)."""
    if h == 1:
        return {"de": "ein", "fr": "une", "es": "una", "it": "una"}.get(lang, cardinal(1, lang))
    if lang in ("zh", "yue") and h == 2:
        return "两" if lang == "zh" else "兩"
    if lang == "ko":
        return korean.native(h) or cardinal(h, lang)
    return cardinal(h, lang)


def clock(h: int, m: int, lang: str) -> str:
    """A clock time: 10:30 -> ten thirty (en), zehn Uhr dreißig (de), 十点三十分 (zh), 열 시 삼십 분 (ko)."""
    hour, mins = _hour(h, lang), cardinal(m, lang)
    if lang == "en":
        return f"{hour} o'clock" if m == 0 else f"{hour} {'oh ' if m < 10 else ''}{mins}"
    if lang in ("zh", "yue", "ja"):
        mark = {"zh": "点", "yue": "點", "ja": "時"}[lang]
        zero = "零" if m < 10 and lang != "ja" else ""
        return f"{hour}{mark}" + (f"{zero}{mins}分" if m else "")
    formats = {
        "de": ("{h} Uhr", "{h} Uhr {m}"),
        "fr": ("{h} heure" if h == 1 else "{h} heures", "{h} heure {m}" if h == 1 else "{h} heures {m}"),
        "es": ("{h} en punto", "{h} y {m}"),
        "it": ("{h} in punto", "{h} e {m}"),
        "ar": ("الساعة {h}", "الساعة {h} و{m} دقيقة"),
        "hi": ("{h} बजे", "{h} बजकर {m} मिनट"),
        "ko": ("{h} 시", "{h} 시 {m} 분"),
    }
    if lang == "ru":
        if m == 0:
            return f"{hour} {plural(h, HOURS_RU, lang)}"
        return f"{hour} {'ноль ' if m < 10 else ''}{mins}"
    return formats[lang][m != 0].format(h=hour, m=mins)


def date(y: int, mo: int, d: int, lang: str) -> str:
    """An ISO date (2025-03-05) as said in ``lang``: March fifth twenty twenty-five, 二零二五年三月五日, ..."""
    if lang in ("zh", "yue"):
        return f"{year(y, lang)}年{cardinal(mo, lang)}月{cardinal(d, lang)}日"
    if lang == "ja":
        return f"{cardinal(y, lang)}年{cardinal(mo, lang)}月{cardinal(d, lang)}日"
    if lang == "ko":
        month = korean.MONTHS.get(mo) or cardinal(mo, lang) + "월"
        return f"{cardinal(y, lang)} 년 {month} {cardinal(d, lang)} 일"
    month = MONTHS[lang].split()[mo - 1]
    if lang == "en":
        return f"{month} {ordinal(d, lang)} {year(y, lang)}"
    if lang == "de":
        return f"der {ordinal(d, lang)} {month} {year(y, lang)}"
    if lang == "ru":
        return f"{ordinal(d, lang, gender='n')} {month} {ordinal(y, lang, case='g')} года"
    day = ordinal(1, lang) if d == 1 and lang in ("fr", "es", "it") else cardinal(d, lang)
    if lang == "es":
        return f"{day} de {month} de {year(y, lang)}"
    return f"{day} {month} {year(y, lang)}"


def percent(integer: int, fraction: str | None, lang: str) -> str:
    """50% -> fifty percent, 百分之五十, пятьдесят процентов."""
    words = number(integer, fraction, lang)
    if lang == "ru":
        return f"{words} {plural(None if fraction else integer, PERCENT_RU, lang)}"
    return PERCENT[lang].format(n=words)


def money(integer: int, fraction: str | None, symbol: str, lang: str) -> str:
    """A currency amount: $5 -> five dollars, 5 € -> fünf Euro, ¥500 -> 五百元 (zh) / 五百円 (ja). English reads
    cents ($3.50 -> three dollars and fifty cents); other languages read a fraction as a decimal number."""
    forms = CURRENCY[symbol][lang]
    if lang == "en" and fraction and symbol in CENTS_EN and len(fraction) == 2:
        cents = int(fraction)
        major = f"{cardinal(integer, lang)} {plural(integer, forms, lang)}"
        return major if not cents else f"{major} and {cardinal(cents, lang)} {plural(cents, CENTS_EN[symbol], lang)}"
    words = number(integer, fraction, lang)
    if lang in ("es", "it", "fr") and integer == 1 and fraction is None:
        words = {"es": "un", "it": "un", "fr": "un"}[lang]
    noun = plural(None if fraction else integer, forms, lang)
    joiner = "" if lang in ("zh", "yue", "ja") else " "
    return f"{words}{joiner}{noun}"


__all__ = ["clock", "date", "digits", "money", "number", "percent"]
