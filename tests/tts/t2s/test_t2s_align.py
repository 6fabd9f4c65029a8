"""CTC forced alignment of text units to speech-token frames (cstoolkit.tts.t2s.align) on the tiny toy tokenizer."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch

from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import InputFileError
from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tts.frontend import units_and_langs
from cstoolkit.tts.t2s.align import (
    ALIGN_INFO,
    _viterbi,
    align_dir,
    ctc_forced_align,
    durations_from_path,
    min_frames,
)


def ints(path) -> dict[str, list[int]]:
    return {u: [int(x) for x in v.split()] for u, v in read_kaldi_file(path).items()}


def test_durations_from_path_blanks_after_each_unit_and_lead_to_first():
    #        lead  a  a  _  b  _  b  _  _
    path = [0, 0, 3, 3, 0, 5, 0, 5, 0, 0]
    assert durations_from_path(path, 3) == [2 + 3, 2, 3]
    assert durations_from_path([7], 1) == [1]
    with pytest.raises(ValueError, match="holds 2 units"):
        durations_from_path([3, 0, 4], 3)
    assert min_frames([3, 3, 4, 4, 4]) == 8


def test_viterbi_fallback_matches_torchaudio():
    gen = torch.Generator().manual_seed(0)
    for target in ([1, 2, 2, 3], [4], [1, 2, 1, 2, 1]):
        lp = torch.randn(23, 6, generator=gen).log_softmax(-1)
        path, score = ctc_forced_align(lp, target)
        own, own_score = _viterbi(lp.numpy(), target, 0)
        assert own_score == pytest.approx(score, abs=1e-5)
        for p in (path, own):
            assert len(p) == 23 and len(durations_from_path(p, len(target))) == len(target)
            assert [x for i, x in enumerate(p) if x and (i == 0 or p[i - 1] != x)] == target
        assert score == pytest.approx(float(np.mean([lp[t, lab] for t, lab in enumerate(path)])), abs=1e-5)
    with pytest.raises(ValueError, match="at least 5 frames"):
        ctc_forced_align(torch.zeros(4, 6).log_softmax(-1), [1, 1, 2, 3])


def test_units_and_langs_from_segments_or_script(toy):
    units = TextTokenizer(toy / "tokenizer" / "units")
    segs = [{"lang": "ko", "text": "오늘"}, {"lang": "en", "text": "coffee"}, {"lang": "zh", "text": "买"}]
    tokens, langs, source = units_and_langs(units, "오늘 coffee 买", "zh", segs)
    assert source == "segments" and tokens == units.text_to_tokens("오늘 coffee 买")
    assert langs == ["ko", "en", "zh"]
    # segments that do not give the transcript's units: script detection (Latin -> en, others -> the matrix)
    tokens, langs, source = units_and_langs(units, "오늘 coffee 买", "zh", [{"lang": "ko", "text": "오늘"}])
    assert source == "script" and langs == ["zh", "en", "zh"]
    # a bare word-start piece belongs to the word after it
    tokens, langs, _ = units_and_langs(units, "买 today", "zh")
    assert tokens[1] == "\u2581" and langs[1:] == ["en"] * (len(tokens) - 1)


def test_alignment_of_toy_corpus(aligned):
    units = TextTokenizer(aligned / "tokenizer" / "units")
    for split in ("train", "dev"):
        d = aligned / split
        tokens, unit_ids, durations = ints(d / "speech_tokens"), ints(d / "text_units"), ints(d / "unit_durations")
        langs = {u: v.split() for u, v in read_kaldi_file(d / "unit_langs").items()}
        texts = read_kaldi_file(d / "text")
        info = json.loads((d / ALIGN_INFO).read_text())
        assert info["skipped"] == {} and info["utterances"] == len(texts) == len(durations)
        assert info["lead_blanks"] == "first_unit" and info["lang_sources"] == {"script": len(texts)}
        for utt, durs in durations.items():
            assert sum(durs) == len(tokens[utt])  # every speech-token frame belongs to one unit
            assert min(durs) >= 1
            assert unit_ids[utt] == units.encode(texts[utt])
            assert len(langs[utt]) == len(durs) and set(langs[utt]) <= {"zh", "en"}


def test_unalignable_utterances_are_skipped_and_reported(aligned, copy_split, caplog):
    d = copy_split(aligned / "train")
    utts = sorted(read_kaldi_file(d / "text"))
    long_utt, cut_utt, gone_utt = utts[:3]
    texts = read_kaldi_file(d / "text")
    texts[long_utt] = " ".join(["coffee"] * 40)  # far more units than speech-token frames
    (d / "text").write_text("".join(f"{u} {t}\n" for u, t in sorted(texts.items())), encoding="utf-8")
    tokens = read_kaldi_file(d / "speech_tokens")
    tokens[cut_utt] = tokens[cut_utt].rsplit(" ", 1)[0]  # one token fewer than the encoder gives
    del tokens[gone_utt]
    (d / "speech_tokens").write_text("".join(f"{u} {t}\n" for u, t in sorted(tokens.items())), encoding="utf-8")
    segs = {u: [{"lang": "xx", "text": texts[u]}] for u in utts[3:6]}
    (d / "utt2seg.jsonl").write_text("".join(json.dumps({"id": u, "segments": s}) + "\n" for u, s in segs.items()))
    with caplog.at_level(logging.WARNING, logger="cstoolkit.tts.t2s.align"):
        stats = align_dir(aligned / "tokenizer", d, device="cpu")
    assert stats.utterances == len(utts) - 3
    assert set(stats.skipped) == {long_utt, cut_utt, gone_utt}
    assert "text units need at least" in stats.skipped[long_utt]
    assert "encoder frames but" in stats.skipped[cut_utt]
    assert "not in speech_tokens" in stats.skipped[gone_utt]
    info = json.loads((d / ALIGN_INFO).read_text())
    assert info["skipped"] == stats.skipped and info["lang_sources"] == {"segments": 3, "script": len(utts) - 6}
    assert all(any(u in r.getMessage() for r in caplog.records) for u in stats.skipped)
    assert set(read_kaldi_file(d / "unit_durations")) == set(utts) - set(stats.skipped)
    assert {u: v.split() for u, v in read_kaldi_file(d / "unit_langs").items() if u in segs} == {
        u: ["xx"] * len(ints(d / "text_units")[u]) for u in segs
    }


def test_nothing_alignable_writes_nothing(aligned, copy_split):
    d = copy_split(aligned / "dev")
    for name in ("text_units", "unit_durations", "unit_langs", ALIGN_INFO):
        (d / name).unlink()
    texts = read_kaldi_file(d / "text")
    (d / "text").write_text("".join(f"{u} {'mall ' * 60}\n" for u in texts), encoding="utf-8")
    with pytest.raises(InputFileError, match="no utterance could be aligned"):
        align_dir(aligned / "tokenizer", d, device="cpu")
    assert not (d / "unit_durations").exists() and not (d / ALIGN_INFO).exists()


def test_cli(aligned, copy_split, capsys):
    from cstoolkit.cli.cstk import main

    d = copy_split(aligned / "dev")
    (d / "unit_durations").unlink()
    assert (
        main(
            [
                "align-units",
                "--tokenizer-dir",
                str(aligned / "tokenizer"),
                "--data-dir",
                str(d),
                "--device",
                "cpu",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    assert ints(d / "unit_durations") == ints(aligned / "dev" / "unit_durations")
    (d / "speech_tokens").unlink()
    assert main(["align-units", "--tokenizer-dir", str(aligned / "tokenizer"), "--data-dir", str(d)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("cstk align-units: error:") and "cstk tokenize" in err[-1]
