"""New code-switched sentences from a corpus's segments: crossovers at a language switch, nothing already in the
corpus, every word from it; the data directory ``cstk novel-sentences`` writes, and its bad inputs."""

from __future__ import annotations

import json

import pytest

from cstoolkit.cli.cstk import main
from cstoolkit.data.kaldi_dir import read_kaldi_file, read_segments
from cstoolkit.data.novel import crossovers, make_novel_sentences, swaps


def segs(*pairs: str) -> list[dict[str, str]]:
    """``segs("zh:我去", "en:mall")`` -> utt2seg.jsonl segments."""
    return [{"lang": p.split(":", 1)[0], "text": p.split(":", 1)[1]} for p in pairs]


SEGS = {
    "s1-a": segs("zh:我今天去", "en:shopping mall", "zh:买东西"),
    "s1-b": segs("zh:我们", "en:weekend", "zh:有一个 budget"),
    "s2-c": segs("zh:这个", "en:deadline", "zh:很重要"),
    "s2-d": segs("es:Vamos al", "en:mall", "es:después"),
    "s2-e": segs("es:Tengo un", "en:meeting", "es:hoy"),
}
LANG = {"s1-a": "zh-en", "s1-b": "zh-en", "s2-c": "zh-en", "s2-d": "es-en", "s2-e": "es-en"}


def text_of(segs):
    return " ".join(s["text"] for s in segs)


def test_crossovers_join_at_a_boundary_of_the_same_language():
    out = {text_of(j) for j in crossovers(SEGS["s1-a"], SEGS["s1-b"], "en")}
    assert out == {"我今天去 weekend 有一个 budget", "我今天去 shopping mall 有一个 budget"}
    assert crossovers([{"lang": "en", "text": "a"}], SEGS["s1-b"], "en") == []  # one segment: no boundary


def test_swaps_replace_an_inserted_segment_and_keep_the_frame():
    out = [text_of(j) for j in swaps(SEGS["s1-a"], SEGS["s1-b"], "en")]
    assert out == ["我今天去 weekend 买东西"]  # the Chinese frame is never swapped
    assert swaps(SEGS["s1-a"], SEGS["s1-a"], "en") == []  # the same words: nothing new


def test_new_sentences_are_new_made_of_corpus_words_and_switch_language():
    corpus = {text_of(s) for s in SEGS.values()}
    made = make_novel_sentences(SEGS, LANG, corpus, ["spkA", "spkB"], per_pair=3, seed=1, kind="crossover")
    words = {w for t in corpus for w in t.split()}
    assert {m.lang for m in made} == {"zh-en", "es-en"}
    assert len({m.text for m in made}) == len(made) and not corpus & {m.text for m in made}
    for m in made:
        assert set(m.text.split()) <= words and len({lang for lang, _ in m.segments}) > 1
        assert m.utt.startswith(f"{m.speaker}-novel-{m.lang}-") and LANG[m.sources[0]] == LANG[m.sources[1]] == m.lang
    assert [m.speaker for m in made] == ["spkA", "spkB"] * (len(made) // 2) + ["spkA"] * (len(made) % 2)
    assert made == make_novel_sentences(SEGS, LANG, corpus, ["spkA", "spkB"], 3, seed=1, kind="crossover")  # seeded
    # es-en has two sentences: four crossovers in all, so fewer than asked for five
    more = make_novel_sentences(SEGS, LANG, corpus, ["spkA"], per_pair=5, seed=1, kind="crossover")
    assert sum(m.lang == "es-en" for m in more) == 4
    swapped = make_novel_sentences(SEGS, LANG, corpus, ["spkA"], per_pair=5, seed=1)  # the default kind
    assert {m.text for m in swapped if m.lang == "es-en"} == {"Vamos al meeting después", "Tengo un mall hoy"}


def write_dir(d, segs, langs, spk="s1"):
    d.mkdir()
    (d / "text").write_text("".join(f"{u} {text_of(s)}\n" for u, s in sorted(segs.items())))
    (d / "utt2lang").write_text("".join(f"{u} {langs[u]}\n" for u in sorted(segs)))
    (d / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in sorted(segs)))
    (d / "utt2seg.jsonl").write_text("".join(json.dumps({"id": u, "segments": s}) + "\n" for u, s in segs.items()))


def test_cli_writes_a_data_directory_without_audio(tmp_path, capsys):
    train, test = tmp_path / "train", tmp_path / "test"
    write_dir(train, SEGS, LANG)
    write_dir(test, {"t9-x": SEGS["s1-a"]}, {"t9-x": "zh-en"})
    out = tmp_path / "novel"
    args = [
        "novel-sentences",
        "--data-dir",
        train,
        "--exclude",
        test,
        "--speakers-from",
        test,
        "--per-pair",
        "2",
        "--out-dir",
        out,
    ]
    assert main(list(map(str, args))) == 0
    assert "new sentences of 2 language pairs" in capsys.readouterr().out
    text = read_kaldi_file(out / "text")
    assert set(read_kaldi_file(out / "utt2spk").values()) == {"t9"} and len(text) == 4
    assert sorted(read_kaldi_file(out / "utt2lang")) == sorted(text) == sorted(read_segments(out / "utt2seg.jsonl"))
    assert all(len(v.split()) == 2 for v in read_kaldi_file(out / "sources").values())
    assert not (out / "wav.scp").exists()


@pytest.mark.parametrize("missing", ["utt2seg.jsonl", "utt2lang"])
def test_cli_refuses_a_directory_without_segments(tmp_path, capsys, missing):
    train = tmp_path / "train"
    write_dir(train, SEGS, LANG)
    (train / missing).unlink()
    args = ["novel-sentences", "--data-dir", train, "--speakers-from", train, "--out-dir", tmp_path / "novel"]
    assert main(list(map(str, args))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and missing in err[0] and not (tmp_path / "novel").exists()
