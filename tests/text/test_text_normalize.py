import pytest

from cstoolkit.text import NormalizeOptions, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我今天去 shopping mall 买东西。", "我今天去 shopping mall 买东西"),
        ("Vamos al MALL, después del work!", "vamos al mall después del work"),
        ("ＡＢＣ　１２３", "abc 123"),  # full-width Latin, digits and ideographic space (NFKC)
        ("Don't  send the e-mail -now- 'ok'", "don't send the e-mail now ok"),
        ("l’heure du meeting?", "l’heure du meeting"),
        ("Straße", "strasse"),  # case folding, not just lower()
        ("「日本語」、テスト。", "日本語 テスト"),
        ("hello,world", "hello world"),  # punctuation becomes a space, never glues words
        ("\ufeffzero\u200bwidth", "zerowidth"),
        ("  tabs\tand\nnewlines  ", "tabs and newlines"),
        ("", ""),
        ("...!?", ""),
        ("$5 and 50%", "$5 and 50"),  # % is punctuation (Po), $ a symbol (Sc)
    ],
)
def test_normalize_defaults(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_each_step_can_be_switched_off() -> None:
    raw = "ＡＢＣ, Hello"
    assert normalize(raw, NormalizeOptions(nfkc=False)) == "ａｂｃ hello"
    assert normalize(raw, NormalizeOptions(casefold=False)) == "ABC Hello"
    assert normalize(raw, NormalizeOptions(punctuation=False)) == "abc, hello"
    assert normalize("a  b", NormalizeOptions(whitespace=False)) == "a  b"
    assert normalize(raw, NormalizeOptions.none()) == raw


def test_signature_names_the_steps() -> None:
    assert NormalizeOptions().signature == "nfkc+fold+punct+ws"
    assert NormalizeOptions(casefold=False).signature == "nfkc+punct+ws"
    assert NormalizeOptions.none().signature == "none"


def test_combining_marks_stay_inside_words() -> None:
    # Devanagari vowel signs and virama are marks (M*), not punctuation: the words survive intact.
    assert normalize("नमस्ते, दोस्तों!") == "नमस्ते दोस्तों"
