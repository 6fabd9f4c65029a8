"""Hindi numerals. num2words (0.5.14) has no Hindi converter, so this one is written here.

Hindi words for 1-99 are irregular (a table, :data:`ONES`); larger numbers use the Indian grouping: सौ (100),
हज़ार (1,000), लाख (100,000), करोड़ (10,000,000). Years 1100-1999 are read as hundreds (1999 -> उन्नीस सौ
निन्यानवे), as people say them; decimals after दशमलव digit by digit.
"""

from __future__ import annotations

_ONES = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस तीस इकतीस बत्तीस तैंतीस चौंतीस "
    "पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस "
    "सैंतालीस अड़तालीस उनचास पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ साठ "
    "इकसठ बासठ तिरेसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर "
    "पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी "
    "अट्ठासी नवासी नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे"
)
ONES = _ONES.split()
#: (value, word) of the Indian grouping, largest first
SCALES = ((10**7, "करोड़"), (10**5, "लाख"), (1000, "हज़ार"), (100, "सौ"))
ORDINALS = {1: "पहला", 2: "दूसरा", 3: "तीसरा", 4: "चौथा", 6: "छठा"}
MINUS, POINT = "ऋण", "दशमलव"


def cardinal(n: int) -> str:
    """Hindi reading of an integer: 2025 -> दो हज़ार पच्चीस, 150000 -> एक लाख पचास हज़ार."""
    if n < 0:
        return f"{MINUS} {cardinal(-n)}"
    if n < 100:
        return ONES[n]
    words: list[str] = []
    for value, name in SCALES:
        if n >= value:
            words += [cardinal(n // value), name]
            n %= value
    if n:
        words.append(ONES[n])
    return " ".join(words)


def year(n: int) -> str:
    """A year: 1100-1999 as hundreds (उन्नीस सौ निन्यानवे), others as the cardinal."""
    if 1100 <= n <= 1999:
        rest = n % 100
        return f"{ONES[n // 100]} सौ" + (f" {ONES[rest]}" if rest else "")
    return cardinal(n)


def ordinal(n: int) -> str:
    """पहला, दूसरा, तीसरा, चौथा, छठा; otherwise the cardinal + वाँ (पाँचवाँ, सातवाँ)."""
    return ORDINALS.get(n) or cardinal(n) + "वाँ"


def decimal(integer: int, fraction: str) -> str:
    """3.5 -> तीन दशमलव पाँच."""
    return " ".join([cardinal(integer), POINT, *(ONES[int(d)] for d in fraction)])
