"""Chinese numerals for Mandarin (simplified characters) and Cantonese (traditional characters).

num2words (0.5.14) has no Chinese converter, so this small one is written here. It follows the common reading:
groups of four digits (万/萬, 亿/億), one 零 for a run of zeros inside a number, 十 rather than 一十 at the start
(15 -> 十五, 115 -> 一百一十五), and 两/兩 for a leading 2 before 百, 千, 万, 亿 (2000 -> 两千). Years are read
digit by digit (2025 -> 二零二五), decimals after 点/點 digit by digit (3.14 -> 三点一四).
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
#: script-dependent characters: (ten-thousand, hundred-million, two as a count, decimal point, negative)
CHARS = {
    "zh": {"wan": "万", "yi": "亿", "liang": "两", "point": "点", "minus": "负"},
    "yue": {"wan": "萬", "yi": "億", "liang": "兩", "point": "點", "minus": "負"},
}
_SMALL_UNITS = ("", "十", "百", "千")


def _group(n: int) -> str:
    """Reading of 1..9999 without leading-zero handling (zeros inside: one 零)."""
    out = ""
    zero = False
    for power in (3, 2, 1, 0):
        digit = n // 10**power % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += DIGITS[0]
            zero = False
        out += DIGITS[digit] + _SMALL_UNITS[power]
    return out


def cardinal(n: int, lang: str = "zh") -> str:
    """Chinese reading of an integer: ``2025`` -> 两千零二十五, ``10`` -> 十, ``-5`` -> 负五."""
    chars = CHARS[lang]
    if n < 0:
        return chars["minus"] + cardinal(-n, lang)
    if n == 0:
        return DIGITS[0]
    big = ("", chars["wan"], chars["yi"], chars["wan"] + chars["yi"])
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or group < 1000):
            out += DIGITS[0]
        out += _group(group) + big[index]
        need_zero = False
    if out.startswith("一十"):
        out = out[1:]
    if out.startswith("二") and len(out) > 1 and out[1] in ("百", "千", chars["wan"], chars["yi"]):
        out = chars["liang"] + out[1:]
    return out


def digits(text: str) -> str:
    """Digit-by-digit reading: ``2025`` -> 二零二五 (years, decimals, numbers read as codes)."""
    return "".join(DIGITS[int(ch)] for ch in text)


def decimal(integer: int, fraction: str, lang: str = "zh") -> str:
    """``3``, ``"14"`` -> 三点一四."""
    return cardinal(integer, lang) + CHARS[lang]["point"] + digits(fraction)


def count(n: int, lang: str = "zh") -> str:
    """A number before a measure word: 2 -> 两/兩 (两个), else the cardinal."""
    return CHARS[lang]["liang"] if n == 2 else cardinal(n, lang)
