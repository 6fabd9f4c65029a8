"""Numbers as words in the 12 languages of the toolkit: cardinals, ordinals, decimals, years and plural forms.

num2words (a maintained library) reads en, de, fr, es, it, ru, ar, ja and ko; what it lacks is written here:
Chinese and Cantonese (:mod:`~cstoolkit.text.verbalize.cjk`), Hindi (:mod:`~cstoolkit.text.verbalize.hindi`),
decimals read as people read them (digit by digit after the point in en, de, ja, ko, hi, zh, yue; the fraction as
a number in fr, es, it, ar), Japanese years as cardinals (num2words gives the imperial era) and the plural rules
that choose a noun form after a number (ru one/few/many, ar 3-10).
"""

from __future__ import annotations

import re
from decimal import Decimal

from num2words import num2words

from cstoolkit.text.verbalize import cjk, hindi

#: the languages this package verbalises
LANGUAGES: tuple[str, ...] = ("zh", "yue", "ja", "ko", "hi", "ar", "ru", "de", "fr", "es", "it", "en")
#: languages num2words reads
NUM2WORDS = frozenset({"en", "de", "fr", "es", "it", "ru", "ar", "ja", "ko"})
#: languages that write a decimal comma (and a thousands point)
COMMA_DECIMAL = frozenset({"de", "fr", "es", "it", "ru"})
#: the word for the decimal point, and whether the fraction is read digit by digit (else as a number)
POINT = {
    "en": ("point", True),
    "de": ("Komma", True),
    "fr": ("virgule", False),
    "es": ("coma", False),
    "it": ("virgola", False),
    "ar": ("فاصلة", False),
    "ja": ("点", True),
    "ko": ("점", True),
}
_AR_AND = re.compile(r"(^| )و ")


def _n2w(n: int, lang: str, **kwargs: object) -> str:
    """num2words with its punctuation taken out ("thousand, four" -> "thousand four"; Arabic "و" joined to the word
    it belongs to)."""
    text = num2words(n, lang=lang, **kwargs).replace(",", "")
    if lang == "ar":
        text = _AR_AND.sub(r"\1و", text)
    return " ".join(text.split())


def cardinal(n: int, lang: str) -> str:
    """``n`` as words: 21 -> twenty-one (en), 二十一 (zh), इक्कीस (hi)."""
    if lang in ("zh", "yue"):
        return cjk.cardinal(n, lang)
    if lang == "hi":
        return hindi.cardinal(n)
    return _n2w(n, lang)


def ordinal(n: int, lang: str, **kwargs: object) -> str:
    """``n`` as an ordinal: 3 -> third (en), 第三 (zh), तीसरा (hi); ``kwargs`` go to num2words (ru gender, case)."""
    if lang in ("zh", "yue"):
        return "第" + cjk.cardinal(n, lang)
    if lang == "hi":
        return hindi.ordinal(n)
    if lang == "ja":
        return cardinal(n, lang) + "番目"
    return _n2w(n, lang, to="ordinal", **kwargs)


def digits(text: str, lang: str) -> str:
    """A string of digits read one by one (``"05"`` -> zero five)."""
    if lang in ("zh", "yue"):
        return cjk.digits(text)
    joiner = "" if lang in ("ja", "ko") else " "
    return joiner.join(cardinal(int(d), lang) for d in text)


def decimal(integer: int, fraction: str, lang: str) -> str:
    """A decimal number from its integer part and fraction digits: 3, "14" -> three point one four (en), trois
    virgule quatorze (fr), три целых четырнадцать сотых (ru)."""
    if lang in ("zh", "yue"):
        return cjk.decimal(integer, fraction, lang)
    if lang == "hi":
        return hindi.decimal(integer, fraction)
    if lang == "ru":
        return _n2w(Decimal(f"{integer}.{fraction}"), lang)  # type: ignore[arg-type]
    word, by_digit = POINT[lang]
    if by_digit:
        rest = digits(fraction, lang)
    else:
        zeros = len(fraction) - len(fraction.lstrip("0"))
        rest = " ".join(
            [*(cardinal(0, lang) for _ in range(zeros)), *([cardinal(int(fraction), lang)] * (zeros < len(fraction)))]
        )
    joiner = "" if lang == "ja" else " "
    return joiner.join([cardinal(integer, lang), word, rest])


def year(n: int, lang: str) -> str:
    """A year as people say it: en nineteen ninety-nine / twenty twenty-five, de neunzehnhundertneunundneunzig,
    hi उन्नीस सौ निन्यानवे, zh 二零二五 (digit by digit); others (ja: not the imperial era) the cardinal."""
    if lang in ("en", "de"):
        return _n2w(n, lang, to="year")
    if lang in ("zh", "yue"):
        return cjk.digits(str(n))
    if lang == "hi":
        return hindi.year(n)
    return cardinal(n, lang)


def plural(n: int | None, forms: tuple[str, ...], lang: str) -> str:
    """The noun form after the number ``n`` (None: a fraction): ``forms`` are (one, other) or, in Russian,
    (one, few, many); Arabic (singular, plural) takes the plural after 3-10."""
    if len(forms) == 1:
        return forms[0]
    if lang == "ru":
        if n is None:
            return forms[1]
        if n % 10 == 1 and n % 100 != 11:
            return forms[0]
        return forms[1] if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else forms[2]
    if lang == "ar":
        return forms[1] if n is not None and 3 <= n % 100 <= 10 else forms[0]
    if lang == "fr":
        return forms[0] if n in (0, 1) else forms[1]
    return forms[0] if n == 1 else forms[1]
