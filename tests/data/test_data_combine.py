"""Combining data directories: weights (copies and seeded fractions), joined tables, utt2source, CMVN statistics of
the first source, the read-back filter, and refusal of held-out sentences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cstoolkit.data.combine import Source, combine_data_dirs, pick, read_scores
from cstoolkit.data.kaldi_dir import read_kaldi_file, read_segments
from cstoolkit.errors import InputFileError


def _dir(folder: Path, prefix: str, n: int, source: str | None = None) -> Path:
    folder.mkdir(parents=True)
    ids = [f"{prefix}-u{i:02d}" for i in range(n)]
    tables = {
        "text": [f"{u} sentence {u}" for u in ids],
        "utt2spk": [f"{u} {prefix}" for u in ids],
        "utt2dur": [f"{u} 1.5" for u in ids],
        "feats.scp": [f"{u} /arks/{prefix}.ark:{i}" for i, u in enumerate(ids)],
        "utt2num_frames": [f"{u} {100 + i}" for i, u in enumerate(ids)],
    }
    if source:
        tables["utt2source"] = [f"{u} {source}" for u in ids]
    for name, lines in tables.items():
        (folder / name).write_text("".join(f"{x}\n" for x in lines))
    (folder / "utt2seg.jsonl").write_text(
        "".join(json.dumps({"id": u, "segments": [{"lang": "en", "text": "x"}]}) + "\n" for u in ids)
    )
    return folder


def test_pick_takes_whole_copies_and_a_seeded_fraction() -> None:
    import random

    ids = [f"u{i}" for i in range(10)]
    assert pick(ids, 1.0, random.Random(0)) == [(u, 0) for u in ids]
    two_half = pick(ids, 2.5, random.Random(0))
    assert len(two_half) == 25 and sum(k == 2 for _, k in two_half) == 5
    assert pick(ids, 0.3, random.Random(1)) == pick(ids, 0.3, random.Random(1))
    assert pick(ids, 0.0, random.Random(0)) == []


def test_combination_joins_tables_marks_sources_and_copies_the_first_stats(tmp_path) -> None:
    real = _dir(tmp_path / "train", "r", 6)
    np.savez(real / "feats_stats.npz", count=np.int64(3), sum=np.ones(2), sum_square=np.ones(2))
    tts = _dir(tmp_path / "train_tts", "t", 4, source="tts")
    (tts / "mel.scp").write_text("t-u00 x\n")  # a table of one source only is not joined
    report = combine_data_dirs([Source(real, 1), Source(tts, 1.5)], tmp_path / "mix", seed=0)
    mix = tmp_path / "mix"
    texts = read_kaldi_file(mix / "text")
    assert len(texts) == 6 + 6 == report["utterances"]
    source = read_kaldi_file(mix / "utt2source")
    assert sum(v == "real" for v in source.values()) == 6 and sum(v == "tts" for v in source.values()) == 6
    copies = [u for u in texts if u.endswith("-r1")]
    assert len(copies) == 2 and all(texts[u] == texts[u[:-3]] for u in copies)
    assert read_kaldi_file(mix / "feats.scp")[copies[0]] == read_kaldi_file(tts / "feats.scp")[copies[0][:-3]]
    assert set(read_segments(mix / "utt2seg.jsonl")) == set(texts)
    assert not (mix / "mel.scp").exists() and (mix / "feats_stats.npz").is_file()
    spk2utt = dict(line.split(" ", 1) for line in (mix / "spk2utt").read_text().splitlines())
    assert len(spk2utt["t"].split()) == 6
    assert [s["origin"] for s in report["sources"]] == [{"real": 6}, {"tts": 6}]
    assert json.loads((mix / "combine.json").read_text())["utterances"] == 12


def test_filter_drops_what_the_asr_misread(tmp_path) -> None:
    real = _dir(tmp_path / "train", "r", 3)
    tts = _dir(tmp_path / "train_tts", "t", 4, source="tts")
    per_utt = tmp_path / "per_utt.tsv"
    per_utt.write_text("id\tsaer\tform_error\n" + "".join(f"t-u{i:02d}\t0\t{0.2 * i}\n" for i in range(4)))
    scores = read_scores(per_utt)
    report = combine_data_dirs([Source(real), Source(tts)], tmp_path / "mix", scores=scores, max_mer=0.3)
    assert report["sources"][1]["dropped_by_filter"] == 2
    assert sorted(u for u in read_kaldi_file(tmp_path / "mix" / "text") if u.startswith("t-")) == ["t-u00", "t-u01"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tform_error\nx\tlots\n")
    with pytest.raises(InputFileError, match=r"bad.tsv:2: bad form_error"):
        read_scores(bad)


def test_a_held_out_sentence_stops_the_combination(tmp_path) -> None:
    real = _dir(tmp_path / "train", "r", 3)
    test = tmp_path / "test"
    test.mkdir()
    (test / "text").write_text("x1 Sentence R-U01\n")
    with pytest.raises(InputFileError, match="held-out"):
        combine_data_dirs([Source(real)], tmp_path / "mix", held_out=[test])
    assert not (tmp_path / "mix").exists()
