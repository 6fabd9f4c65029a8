"""The demo world from the text generator (``world=generated``, or ``data.mini.sentences=generated`` alone): frames
split into seen and held-out, voices from espeak-ng's variants, a fourth split test_novel preferring known words; the
templates source unchanged."""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from data_helpers import make_fake_release

from cstoolkit.config import load_config
from cstoolkit.data.corpora.mini import plan_jobs
from cstoolkit.data.corpora.mini_generated import GENERATED_SPLITS, known_words_first, select_generated, structures
from cstoolkit.data.corpora.mini_voices import vocal_tract_warp
from cstoolkit.data.corpora.mini_world import check_world_config, describe_selection
from cstoolkit.data.kaldi_dir import read_data_dir
from cstoolkit.data.prepare import corpus_config, prepare
from cstoolkit.data.validate import validate_data_dir, validate_prepared
from cstoolkit.errors import ConfigError
from cstoolkit.text import normalize
from cstoolkit.text.generate import Sentence as Generated
from cstoolkit.text.generate import load_grammar

#: a generated world of 2 pairs x 13 utterances, 3 + 1 + 2 voices
TINY_GENERATED = [
    "data.mini.sentences=generated",
    "data.mini.pairs=[zh-en,es-en]",
    "data.mini.generated.train_sentences=6",
    "data.mini.generated.shared_sentences=2",
    "data.mini.generated.dev_sentences=1",
    "data.mini.generated.test_sentences=2",
    "data.mini.generated.test_novel_sentences=2",
    "data.mini.generated.speakers.train=3",
    "data.mini.generated.speakers.dev=1",
    "data.mini.generated.speakers.test=2",
    "data.plots=false",
]


def mini_cfg(overrides: list[str]) -> dict:
    return corpus_config(load_config(overrides).data, "mini")


def texts(selection, split: str) -> list[str]:
    return [c.sentence.text for pair in sorted(selection) for c in selection[pair].splits[split]]


def test_templates_stay_the_default_and_their_plan_is_unchanged():
    """The CPU models cannot learn the generated world within the demo's hour (recipe README): templates stay the
    default, byte for byte; the generated world's shipped settings pass their rules too."""
    check_world_config(mini_cfg(["data.mini.sentences=generated"]))
    cfg = mini_cfg([])
    assert cfg["sentences"] == "templates"
    check_world_config(cfg)
    jobs = plan_jobs(cfg, Path("/a"))
    paths = "\n".join(job.path for split in ("train", "dev", "test") for job in jobs[split])
    # every utterance id and audio cache key of the default demo corpus, as before the generated source existed
    assert hashlib.sha1(paths.encode()).hexdigest() == "7a4d1364543c273f8e86ee6917bc24e41548f5c1"
    assert all("warp" not in job.speaker for split in jobs for job in jobs[split])


def test_world_generated_is_one_switch_for_the_settings_measured_on_it():
    """``world=generated`` (conf/world/generated.yaml) selects the generated corpus and what was measured on it;
    the default composition is untouched and options given on the command line still win."""
    default, world = load_config([]), load_config(["world=generated"])
    assert (default.data.mini.sentences, default.features.asr_input, default.asr.name) == (
        "templates",
        "fbank",
        "cpu_small",
    )
    assert world.data.mini.sentences == "generated" and world.features.asr_input == "whisper"
    assert (world.asr.name, world.asr.input_size, world.asr.encoder.input_layer) == ("cpu_whisper", 512, "linear")
    assert world.augment.copies == 0 and world.asr.train.max_epochs == 30
    assert world.tokenizer.batch.max_frames == 1000
    assert world.flow.inference.temperature == 0.667 and default.flow.inference.temperature == 1.0
    assert world.flow.train.max_epochs == 40 and world.t2s.train.max_epochs == 15
    check_world_config(corpus_config(world.data, "mini"))
    mine = load_config(["world=generated", "asr.train.max_epochs=5", "flow.inference.temperature=1.0"])
    assert mine.asr.train.max_epochs == 5 and mine.flow.inference.temperature == 1.0


def test_selection_is_seeded_disjoint_and_novel_from_held_out_frames():
    cfg = mini_cfg(TINY_GENERATED)
    selection = select_generated(cfg)
    assert {split: texts(selection, split) for split in GENERATED_SPLITS} == {
        split: texts(select_generated(cfg), split) for split in GENERATED_SPLITS
    }
    other = select_generated(mini_cfg([*TINY_GENERATED, "data.mini.seed=7"]))
    assert texts(other, "train") != texts(selection, "train")
    keys = {split: {normalize(t) for t in texts(selection, split)} for split in GENERATED_SPLITS}
    assert [len(keys[s]) for s in GENERATED_SPLITS] == [12, 2, 4, 4]
    sizes = describe_selection(selection)  # what the report will say, without voices or audio
    assert sizes["train"]["sentences"] == 12 and set(sizes["test_novel"]["units_per_pair"]) == {"zh-en", "es-en"}
    for i, a in enumerate(GENERATED_SPLITS):
        for b in GENERATED_SPLITS[i + 1 :]:
            assert not keys[a] & keys[b], (a, b)
    for pair, chosen in selection.items():
        seen = {name for names in chosen.seen.values() for name in names}
        held = {name for names in chosen.held_out.values() for name in names}
        assert seen and held and not seen & held
        assert {c.frame for c in chosen.splits["test_novel"]} <= held
        assert {c.frame for split in ("train", "dev", "test") for c in chosen.splits[split]} <= seen
        # a held-out structure (a frame, or an alternation clause) occurs in no seen frame
        grammar = load_grammar(pair)
        out = {unit for units in chosen.held_out_structures.values() for unit in units}
        for frames in grammar.frames.values():
            for frame in frames:
                if frame.name in seen:
                    assert not out.intersection(structures(frame)), frame.name
        english = {unit for unit in chosen.held_out_structures["alternation"] if unit.startswith("en: ")}
        assert english == {u for u in selection["zh-en"].held_out_structures["alternation"] if u.startswith("en: ")}
        assert chosen.record()["seen_frames"]["insertion"] + chosen.record()["held_out_frames"]["insertion"] == len(
            grammar.frames["insertion"]
        )


def test_generated_world_writes_four_valid_splits_and_reports_them(tmp_path: Path):
    from cstoolkit.cli.validate_data import expand

    out = tmp_path / "data"
    cfg = load_config(TINY_GENERATED).data
    report = prepare(None, out, cfg, num_jobs=2)
    paths, is_data_folder = expand(out)
    assert is_data_folder and [p.name for p in paths] == ["dev", "test", "test_novel", "train"]
    assert validate_prepared(out, paths) == []
    assert all(validate_data_dir(path, sample_rate=16000) == [] for path in paths)
    splits = {path.name: read_data_dir(path) for path in paths}
    assert [len(splits[s]) for s in GENERATED_SPLITS] == [2 * 8, 2 * 1, 2 * 2, 2 * 2]
    speakers = {s: {u.speaker for u in splits[s]} for s in GENERATED_SPLITS}
    assert [len(speakers[s]) for s in GENERATED_SPLITS] == [3, 1, 2, 2]
    assert speakers["test_novel"] == speakers["test"]  # the test voices read the novel structures
    assert not speakers["train"] & speakers["dev"] and not (speakers["train"] | speakers["dev"]) & speakers["test"]
    keys = {s: {normalize(u.text) for u in splits[s]} for s in GENERATED_SPLITS}
    assert sum(map(len, keys.values())) == len(set().union(*keys.values())) == 12 + 2 + 4 + 4
    # every utterance knows its frame; test_novel's are the held-out ones
    selection = select_generated(corpus_config(cfg, "mini"))
    for split, utts in splits.items():
        for utt in utts:
            chosen = selection[utt.lang]
            side = chosen.held_out if split == "test_novel" else chosen.seen
            assert utt.meta["frame"] in side[utt.meta["kind"]], (split, utt.id)
    info = report["splits"]
    assert info["train"]["sentences"] == 12 and info["train"]["sentences_read_by_2plus"] == 4
    assert info["test_novel"]["speakers"] == 2 and set(info["test_novel"]["units_per_pair"]) == {"zh-en", "es-en"}
    assert info["dev"]["units_not_in_train"] >= 0 and info["test"]["sentences_read_by_2plus"] == 0
    assert report["sentence_source"] == "generated"
    assert set(report["frames"]) == {"zh-en", "es-en"} and report["frames"]["zh-en"]["held_out_frames"]["insertion"]
    voices = report["voices"]["speakers"]
    variants = {split: {v["variant"] for v in voices[split]} for split in voices}
    assert not variants["train"] & variants["dev"] and not (variants["train"] | variants["dev"]) & variants["test"]
    assert all(0.9 <= v["warp"] <= 1.12 for vs in voices.values() for v in vs)
    saved = json.loads((out / "prepare_report.json").read_text())
    assert saved["splits"]["test_novel"]["utterances"] == 4

    # a corpus without test_novel prepared into the same folder leaves no stale test_novel behind
    release = make_fake_release(tmp_path / "release")
    only_train = load_config(["data.switchlingua.dev_ratio=0", "data.switchlingua.test_ratio=0"]).data
    prepare(release, out, only_train, num_jobs=1)
    assert not (out / "test_novel").exists()
    assert validate_prepared(out, expand(out)[0]) == []


def _generated(n: int, text: str, kind: str = "alternation", pair: str = "zh-en") -> Generated:
    """A generator sentence of ``text`` (split in two segments), its analysis left out (not read by the ordering)."""
    words = text.split()
    segments = (("en", " ".join(words[:2])), (pair.split("-")[0], " ".join(words[2:])))
    return Generated(f"gen-{pair}-{kind[:3]}-{n:05d}", pair, kind, segments, None, f"frame{n}")


def test_known_words_first_puts_sentences_of_heard_units_first_and_keeps_order_among_equals():
    train = [_generated(0, "we meet 明天 下午"), _generated(1, "the budget 很 重要")]
    candidates = [
        _generated(10, "new words 全 新"),  # 4 units unheard
        _generated(11, "we meet 很 重要"),  # all heard
        _generated(12, "The Budget 明天, 下午!"),  # all heard once normalised (case, punctuation)
        _generated(13, "we meet 后天 下午"),  # 后 unheard
        _generated(14, "the budget 明天 重要"),  # all heard
        _generated(15, "we travel 明天 下午"),  # travel unheard
    ]
    ordered = known_words_first(candidates, train, ["alternation"])
    assert [s.id[-2:] for s in ordered] == ["11", "12", "14", "13", "15", "10"]
    assert known_words_first(candidates, train, ["alternation"]) == ordered  # the same again
    assert candidates[0].id.endswith("10")  # input untouched
    assert known_words_first([], train, ["alternation"]) == []
    everything = [*train, *candidates]
    assert known_words_first(candidates, everything, ["alternation"]) == candidates  # nothing unheard: order kept


def test_known_words_first_ranks_within_each_kind_and_keeps_the_kinds_interleaved():
    train = [_generated(0, "we meet 明天 下午")]
    candidates = [
        _generated(1, "new words 全 新", "insertion"),  # 4 unheard
        _generated(2, "we meet 明天 新", "alternation"),  # 1 unheard
        _generated(3, "we meet 明天 下午", "insertion"),  # all heard
        _generated(4, "we meet 全 新", "alternation"),  # 2 unheard
        _generated(5, "new meet 明天 下午", "insertion"),  # 1 unheard
    ]
    ordered = known_words_first(candidates, train, ["insertion", "alternation"])
    assert [s.id[-2:] for s in ordered] == ["03", "02", "05", "04", "01"]


def test_test_novel_takes_the_held_out_sentences_of_fewest_unheard_units(monkeypatch):
    """Through the selection: test_novel is the head of the held-out candidates as known_words_first ranks them
    against the pair's train sentences."""
    from cstoolkit.data.corpora import mini_generated

    seen: dict[str, list[Generated]] = {}

    def ranked(candidates, train, kinds):
        assert {s.pair for s in train} == {candidates[0].pair}
        seen[candidates[0].pair] = known_words_first(candidates, train, kinds)
        return seen[candidates[0].pair]

    monkeypatch.setattr(mini_generated, "known_words_first", ranked)
    selection = select_generated(mini_cfg(TINY_GENERATED))
    for pair, chosen in selection.items():
        novel = [c.sentence for c in chosen.splits["test_novel"]]
        assert novel == seen[pair][: len(novel)] and len(seen[pair]) > len(novel)
        assert {s.source for s in seen[pair]} <= {name for names in chosen.held_out.values() for name in names}


@pytest.mark.parametrize(
    "override, key",
    [
        ("data.mini.sentences=llm", "data.mini.sentences"),
        ("data.mini.generated.speakers.pitch=[80,20]", "data.mini.generated.speakers.pitch"),
        ("data.mini.generated.held_out=1.5", "data.mini.generated.held_out"),
        ("data.mini.generated.kinds=[insertion,code-mixing]", "data.mini.generated.kinds"),
        ("data.mini.generated.shared_sentences=999", "data.mini.generated.shared_sentences"),
    ],
)
def test_bad_settings_are_one_line_errors(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_world_config(mini_cfg([*TINY_GENERATED, override]))


def test_a_bad_setting_leaves_a_prepared_folder_untouched(tmp_path: Path):
    (tmp_path / "prepare_report.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"data\.mini\.generated\.max_units"):
        prepare(None, tmp_path, load_config([*TINY_GENERATED, "data.mini.generated.max_units=0"]).data, num_jobs=1)
    assert (tmp_path / "prepare_report.json").read_text() == "{}"


def test_vocal_tract_warp_scales_every_frequency_and_the_duration():
    rate = 22050
    t = np.arange(rate) / rate
    wave = np.sin(2 * np.pi * 500 * t).astype(np.float32)
    warped = vocal_tract_warp(wave, rate, 1.1)
    assert abs(warped.size - rate / 1.1) < 2
    peak = np.argmax(np.abs(np.fft.rfft(warped))) * rate / warped.size
    assert abs(peak - 550) < 3
    assert vocal_tract_warp(wave, rate, 1.0) is wave


def test_the_default_test_novel_is_balanced_over_switch_kinds():
    """Every pair's test_novel takes its kinds in turn (counts differ by at most one), known words first or not."""
    selection = select_generated(mini_cfg(["data.mini.sentences=generated"]))
    for pair, chosen in selection.items():
        kinds = [c.kind for c in chosen.splits["test_novel"]]
        counts = [kinds.count(kind) for kind in chosen.held_out if chosen.held_out[kind]]
        assert max(counts) - min(counts) <= 1, (pair, counts)
