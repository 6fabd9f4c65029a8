"""The words around numbers, per language (data): currency names, percent, clock times and month names.

Written here because no maintained library gives them for all 12 languages (num2words' currency support covers
some currencies in some languages, with cents always spoken). A form tuple is (one, other) or, in Russian,
(one, few, many) and in Arabic (singular, plural after 3-10) (:func:`~cstoolkit.text.verbalize.numbers.plural`).
"""

from __future__ import annotations

#: currency symbol -> language -> noun forms
CURRENCY: dict[str, dict[str, tuple[str, ...]]] = {
    "$": {
        "en": ("dollar", "dollars"),
        "de": ("Dollar",),
        "fr": ("dollar", "dollars"),
        "es": ("dólar", "dólares"),
        "it": ("dollaro", "dollari"),
        "ru": ("доллар", "доллара", "долларов"),
        "ar": ("دولار", "دولارات"),
        "hi": ("डॉलर",),
        "zh": ("美元",),
        "yue": ("美元",),
        "ja": ("ドル",),
        "ko": ("달러",),
    },
    "€": {
        "en": ("euro", "euros"),
        "de": ("Euro",),
        "fr": ("euro", "euros"),
        "es": ("euro", "euros"),
        "it": ("euro",),
        "ru": ("евро",),
        "ar": ("يورو",),
        "hi": ("यूरो",),
        "zh": ("欧元",),
        "yue": ("歐元",),
        "ja": ("ユーロ",),
        "ko": ("유로",),
    },
    "£": {
        "en": ("pound", "pounds"),
        "de": ("Pfund",),
        "fr": ("livre", "livres"),
        "es": ("libra", "libras"),
        "it": ("sterlina", "sterline"),
        "ru": ("фунт", "фунта", "фунтов"),
        "ar": ("جنيه", "جنيهات"),
        "hi": ("पाउंड",),
        "zh": ("英镑",),
        "yue": ("英鎊",),
        "ja": ("ポンド",),
        "ko": ("파운드",),
    },
    "¥": {  # yen in Japan and most languages; yuan (元) in Chinese
        "en": ("yen",),
        "de": ("Yen",),
        "fr": ("yen", "yens"),
        "es": ("yen", "yenes"),
        "it": ("yen",),
        "ru": ("иена", "иены", "иен"),
        "ar": ("ين",),
        "hi": ("येन",),
        "zh": ("元",),
        "yue": ("元",),
        "ja": ("円",),
        "ko": ("엔",),
    },
    "₹": {
        "en": ("rupee", "rupees"),
        "de": ("Rupie", "Rupien"),
        "fr": ("roupie", "roupies"),
        "es": ("rupia", "rupias"),
        "it": ("rupia", "rupie"),
        "ru": ("рупия", "рупии", "рупий"),
        "ar": ("روبية", "روبيات"),
        "hi": ("रुपया", "रुपये"),
        "zh": ("卢比",),
        "yue": ("盧比",),
        "ja": ("ルピー",),
        "ko": ("루피",),
    },
    "₽": {
        "en": ("ruble", "rubles"),
        "de": ("Rubel",),
        "fr": ("rouble", "roubles"),
        "es": ("rublo", "rublos"),
        "it": ("rublo", "rubli"),
        "ru": ("рубль", "рубля", "рублей"),
        "ar": ("روبل", "روبلات"),
        "hi": ("रूबल",),
        "zh": ("卢布",),
        "yue": ("盧布",),
        "ja": ("ルーブル",),
        "ko": ("루블",),
    },
    "₩": {
        "en": ("won",),
        "de": ("Won",),
        "fr": ("won", "wons"),
        "es": ("won", "wones"),
        "it": ("won",),
        "ru": ("вона", "воны", "вон"),
        "ar": ("وون",),
        "hi": ("वॉन",),
        "zh": ("韩元",),
        "yue": ("韓圜",),
        "ja": ("ウォン",),
        "ko": ("원",),
    },
}
#: English cents of a currency (other languages read a fractional amount as a decimal number)
CENTS_EN = {"$": ("cent", "cents"), "€": ("cent", "cents"), "£": ("penny", "pence")}

#: percent: "{n}" is the number's words
PERCENT = {
    "en": "{n} percent",
    "de": "{n} Prozent",
    "fr": "{n} pour cent",
    "es": "{n} por ciento",
    "it": "{n} per cento",
    "ar": "{n} بالمئة",
    "hi": "{n} प्रतिशत",
    "zh": "百分之{n}",
    "yue": "百分之{n}",
    "ja": "{n}パーセント",
    "ko": "{n} 퍼센트",
}
#: Russian percent forms (one, few, many; a fraction takes "few")
PERCENT_RU = ("процент", "процента", "процентов")

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",  # genitive
    "ar": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "hi": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर",
}

#: hour words of Russian (one, few, many)
HOURS_RU = ("час", "часа", "часов")
