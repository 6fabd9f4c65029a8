import jiwer
import pytest

from cstoolkit.metrics.align import EditCounts, align
from cstoolkit.text import normalize, split_units


def units(text: str) -> list[str]:
    return split_units(normalize(text))


@pytest.mark.parametrize(
    ("ref", "hyp", "sdi", "n"),
    [
        ("我今天去 shopping mall 买东西", "我今天去 shopping 买东西", (0, 1, 0), 9),
        ("我今天去 shopping mall 买东西", "我明天去 shopping mall 买东西", (1, 0, 0), 9),
        ("明日の meeting はキャンセルです", "明日の miting はキャンセルでした", (2, 0, 1), 12),
        ("오늘 meeting 있어요", "오늘 미팅 있어요", (1, 0, 0), 3),
        ("मैं कल office जाऊँगा", "मैं कल ऑफिस जाऊँगा", (1, 0, 0), 4),
        ("Vamos al mall después del work", "vamos al mall despues del trabajo", (2, 0, 0), 6),
        ("Я забыл свой laptop дома", "я забыл laptop дома сегодня", (0, 1, 1), 5),
        ("", "", (0, 0, 0), 0),
        ("", "extra words", (0, 0, 2), 0),
        ("two words", "", (0, 2, 0), 2),
    ],
)
def test_counts_hand_checked(ref: str, hyp: str, sdi: tuple[int, int, int], n: int) -> None:
    result = align(units(ref), units(hyp))
    c = result.counts
    assert (c.substitutions, c.deletions, c.insertions) == sdi
    assert c.ref_units == n


def test_error_rate_conventions() -> None:
    assert EditCounts(ref_units=0).error_rate == 0.0
    assert EditCounts(insertions=3, ref_units=0).error_rate == 1.0
    assert EditCounts(insertions=5, ref_units=2).error_rate == 2.5  # not clipped


def test_pairs_cover_both_sequences() -> None:
    ref, hyp = units("a b c d e"), units("a x c e f")
    pairs = align(ref, hyp).pairs()
    assert [r for r, _, _ in pairs if r is not None] == ref
    assert [h for _, h, _ in pairs if h is not None] == hyp
    marks = "".join(m for _, _, m in pairs)
    assert len(marks) - marks.count("=") == align(ref, hyp).counts.errors == 3


def test_per_script_counts_insertions_by_hypothesis_script() -> None:
    result = align(units("我去 shopping"), units("我们去 shopping mall"))
    per_script = result.per_script()
    assert per_script["Han"].ref_units == 2 and per_script["Han"].insertions == 1
    assert per_script["Latin"].ref_units == 1 and per_script["Latin"].insertions == 1


def test_agrees_with_jiwer_on_the_same_units() -> None:
    """The mixed error rate = jiwer's WER over space-joined mixed units (char-split CJK, as CS scorers do)."""
    pairs = [
        ("我今天去 shopping mall 买东西", "我今天 go shopping 买了东西"),
        ("明日の meeting はキャンセルです", "明日 meeting はキャンセルでした"),
        ("我哋今晚去 shopping 好唔好", "我地今晚去 shop ping 好唔好"),
        ("Das Meeting ist um drei Uhr", "das meeting ist um zwei uhr"),
    ]
    for ref, hyp in pairs:
        r, h = units(ref), units(hyp)
        counts = align(r, h).counts
        out = jiwer.process_words(" ".join(r), " ".join(h))
        assert counts.errors == out.substitutions + out.deletions + out.insertions
        assert counts.error_rate == pytest.approx(out.wer)
