"""Korean native numerals (하나, 둘, 셋 ...), which Koreans use before counters such as 개, 명, 시, 살, 번.

num2words (0.5.14) reads Sino-Korean numbers (이천이십오) but has no native-numeral function for 1-99 before a
counter, so this small table is written here. Before a counter the attributive forms are used: 한, 두, 세, 네,
스무 (세 개, 스무 살). Numbers of 100 and more are read Sino-Korean even before these counters. Months 6 and 10
are 유월 and 시월.
"""

from __future__ import annotations

#: attributive native numerals 1-9 (before a counter)
UNITS = ("", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉")
TENS = ("", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔")
#: counters read with native numerals (the number is read Sino-Korean before any other counter)
NATIVE_COUNTERS = ("개", "명", "시", "살", "번", "마리", "잔", "권", "병", "사람", "시간", "달", "가지", "번째")
MONTHS = {6: "유월", 10: "시월"}


def native(n: int) -> str | None:
    """The attributive native numeral of 1..99 (3 -> 세, 20 -> 스무, 21 -> 스물한), None outside that range."""
    if not 1 <= n <= 99:
        return None
    if n == 20:
        return "스무"
    return TENS[n // 10] + UNITS[n % 10]
