"""The embedded demo corpus from its slot templates (``data.mini.sentences=templates``): sentence design checked on
the full plan, synthesis on a handful of sentences (the generated source: test_mini_generated.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1]))
from data_helpers import TINY_MINI

from cstoolkit.config import load_config
from cstoolkit.data.corpora.mini import (
    available_pairs,
    espeak_text,
    expand_sentences,
    plan_jobs,
    prepare_mini,
    select_sentences,
)
from cstoolkit.data.lang_tags import languages_by_script, scripts_in
from cstoolkit.data.prepare import corpus_config
from cstoolkit.errors import ConfigError

ALL_PAIRS = {"ar-en", "yue-en", "fr-en", "de-en", "hi-en", "it-en", "ja-en", "ko-en", "zh-en", "ru-en", "es-en"}


def test_all_eleven_switchlingua_pairs_ship():
    assert set(available_pairs()) == ALL_PAIRS


@pytest.mark.parametrize("pair", sorted(ALL_PAIRS))
def test_segments_are_in_the_script_of_their_language(pair):
    for sentence in expand_sentences(pair):
        langs = {lang for lang, _ in sentence.segments}
        assert langs == {pair.split("-")[0], "en"}, sentence
        for lang, text in sentence.segments:
            if lang == "en":
                assert scripts_in(text) == {"Latin"}, text
            elif lang == "ja":  # espeak-ng's Japanese voice reads kana only
                assert scripts_in(text) <= {"Hiragana", "Katakana"}, text
            elif lang in ("zh", "yue", "ar", "hi", "ko", "ru"):
                assert languages_by_script(text) <= {lang, "zh"} and scripts_in(text) - {"Latin"}, text


def test_full_plan_is_big_enough_and_held_out_is_unseen():
    cfg = corpus_config(load_config(["data.mini.sentences=templates"]).data, "mini")
    jobs = plan_jobs(cfg, Path("/nonexistent"))
    assert len(jobs["train"]) >= 2000
    pairs = {split: {j.sentence.pair for j in js} for split, js in jobs.items()}
    assert pairs["train"] == pairs["dev"] == pairs["test"] == ALL_PAIRS
    speakers = {split: {j.speaker["id"] for j in js} for split, js in jobs.items()}
    texts = {split: {j.sentence.text for j in js} for split, js in jobs.items()}
    words = {split: set().union(*(j.sentence.words for j in js)) for split, js in jobs.items()}
    for held in ("dev", "test"):
        assert not speakers[held] & speakers["train"] and not texts[held] & texts["train"]
        assert words[held] <= words["train"]  # new combinations of words seen in training
    assert not speakers["dev"] & speakers["test"] and not texts["dev"] & texts["test"]
    assert len({j.uttid for js in jobs.values() for j in js}) == sum(map(len, jobs.values()))


def test_selection_fails_loudly_when_templates_run_out():
    sentences = expand_sentences("zh-en")
    with pytest.raises(ConfigError, match="zh-en"):
        select_sentences(sentences, {"train": len(sentences), "dev": 5, "test": 5}, seed=0)


def test_mandarin_goes_to_espeak_as_tone_numbered_pinyin():
    assert espeak_text("zh", "我今天去") == "wo3 jin1 tian1 qu4"
    assert espeak_text("ja", "きょうは") == "きょうは"


def test_synthesis_of_a_few_sentences_is_real_and_cached(tmp_path: Path):
    cfg = corpus_config(load_config(TINY_MINI).data, "mini")
    splits = prepare_mini(tmp_path, cfg, num_jobs=2)
    assert [len(splits[s]) for s in ("train", "dev", "test")] == [3 * 4 * 2, 3, 3]
    for utt in splits["train"][:6] + splits["test"]:
        samples, rate = sf.read(utt.audio)
        assert rate == 16000 and samples.ndim == 1
        assert 1.0 < utt.duration < 6.0 and abs(samples.size / rate - utt.duration) < 1e-3
        assert np.sqrt(np.mean(samples**2)) > 0.02  # speech, not silence
        assert utt.id.startswith(utt.speaker + "-") and utt.lang in ("zh-en", "ja-en", "de-en")
    # the same sentence by two train speakers sounds different
    by_text: dict = {}
    for utt in splits["train"]:
        by_text.setdefault(utt.text, []).append(utt)
    a, b = next(v for v in by_text.values() if len(v) == 2)
    assert a.speaker != b.speaker
    wave_a, wave_b = sf.read(a.audio)[0], sf.read(b.audio)[0]
    assert wave_a.size != wave_b.size or not np.allclose(wave_a, wave_b, atol=1e-3)
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.flac")}
    again = prepare_mini(tmp_path, cfg, num_jobs=1)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.flac")} == mtimes
    assert [u.id for u in again["train"]] == [u.id for u in splits["train"]]


def test_missing_espeak_is_a_one_line_error(tmp_path: Path):
    import subprocess

    cmd = [
        sys.executable,
        "-m",
        "cstoolkit.cli.cstk",
        "prepare",
        "--work_dir",
        str(tmp_path),
        *TINY_MINI,
        "data.mini.espeak=/no/espeak-ng",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("cstk prepare: error: /no/espeak-ng not found")
    assert "Traceback" not in proc.stderr
