from cstoolkit.data.kaldi_dir import segments_text
from cstoolkit.data.lang_tags import compatible, languages_by_script, segment_by_script


def test_languages_by_script():
    assert languages_by_script("我今天去 shopping mall") == {"zh"}
    assert languages_by_script("我哋聽日有個 meeting") == {"yue"}
    assert languages_by_script("今日は meeting があります") == {"ja"}
    assert languages_by_script("Сегодня meeting") == {"ru"}
    assert languages_by_script("Heute meeting") == set()


def test_compatible():
    assert compatible("zh", "我去 gym") and compatible("de", "Das meeting ist wichtig")
    assert not compatible("fr", "Сегодня meeting") and not compatible("ko", "我去 gym")
    assert not compatible("ru", "only English here")


def test_segments_split_scripts_and_spell_the_text():
    segs = segment_by_script("我今天去shopping mall买东西", "zh")
    assert segs == [
        {"lang": "zh", "text": "我今天去"},
        {"lang": "en", "text": "shopping mall"},
        {"lang": "zh", "text": "买东西"},
    ]
    assert segments_text(segs) == "我今天去 shopping mall 买东西"
    assert segment_by_script("Das meeting 2 ist", "de") == [{"lang": "und", "text": "Das meeting 2 ist"}]
