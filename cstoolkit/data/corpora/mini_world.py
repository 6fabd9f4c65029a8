"""The demo world: the embedded corpus from one of two sentence sources, and what ``prepare_report.json`` says of it.

``data.mini.sentences`` picks the source: ``templates`` (the slot templates of ``mini/<pair>.json`` read by the
hand-listed speakers; :mod:`cstoolkit.data.corpora.mini`) or ``generated`` (the code-switched text generator's
frames split into seen and held-out, :mod:`~cstoolkit.data.corpora.mini_generated`, read by voices made from
espeak-ng's variants, :mod:`~cstoolkit.data.corpora.mini_voices`), which adds the split ``test_novel``: sentences
of held-out frames read by the test voices. Both synthesise through the same cached espeak-ng path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from cstoolkit.config import Rule, check_config, choice, number, whole
from cstoolkit.data.corpora.mini import Sentence, SynthJob, _cache_key, plan_jobs, run_jobs
from cstoolkit.data.corpora.mini_generated import GENERATED_SPLITS, PairSelection, select_generated
from cstoolkit.data.corpora.mini_voices import make_voices
from cstoolkit.data.kaldi_dir import Utterance
from cstoolkit.errors import ConfigError
from cstoolkit.text import normalize, split_units
from cstoolkit.text.generate import KINDS

SOURCES = ("templates", "generated")
#: allowed values of the keys this module adds to ``data.mini``
RULES: dict[str, Rule] = {
    "sentences": choice(*SOURCES),
    "generated.held_out": number(0, 1),
    "generated.train_sentences": whole(1),
    "generated.shared_sentences": whole(0),
    "generated.shared_readings": whole(1),
    "generated.dev_sentences": whole(0),
    "generated.test_sentences": whole(0),
    "generated.test_novel_sentences": whole(0),
    "generated.min_units": whole(1),
    "generated.max_units": whole(1),
    "generated.speakers.train": whole(1),
    "generated.speakers.dev": whole(1),
    "generated.speakers.test": whole(1),
}
RANGES = {"pitch": (0, 99), "rate": (80, 450), "warp": (0.5, 2.0)}


def check_world_config(cfg: dict[str, Any]) -> None:
    """Raise ConfigError (one line naming the key) for a bad sentence-source setting of ``cfg`` (data + mini)."""
    check_config(cfg, RULES, "data.mini")
    gen = cfg["generated"]
    if not isinstance(gen["kinds"], list | tuple) or not gen["kinds"] or set(gen["kinds"]) - set(KINDS):
        raise ConfigError(
            f"bad configuration value data.mini.generated.kinds={gen['kinds']!r}: expected a list of {', '.join(KINDS)}"
        )
    for name, (low, high) in RANGES.items():
        bounds = gen["speakers"][name]
        if (
            not isinstance(bounds, list | tuple)
            or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
            or not low <= bounds[0] <= bounds[1] <= high
        ):
            raise ConfigError(
                f"bad configuration value data.mini.generated.speakers.{name}={bounds!r}: expected [low, high] "
                f"with {low} <= low <= high <= {high}"
            )
    if gen["shared_sentences"] > gen["train_sentences"]:
        raise ConfigError("bad configuration value data.mini.generated.shared_sentences: more than train_sentences")
    if gen["shared_sentences"] and gen["shared_readings"] > gen["speakers"]["train"]:
        raise ConfigError(
            "bad configuration value data.mini.generated.shared_readings: more readings than train speakers"
        )
    if gen["min_units"] > gen["max_units"]:
        raise ConfigError("bad configuration value data.mini.generated.min_units: larger than max_units")


def plan_generated(cfg: dict[str, Any], audio_dir: Path) -> tuple[dict[str, list[SynthJob]], dict[str, Any]]:
    """Synthesis jobs of the generated world per split, and its record (frame split, voices, frames per utterance).

    Train sentences are read by one train voice each, the first ``shared_sentences`` of a pair (balanced over the
    switch kinds) by ``shared_readings`` different ones; dev, test and test_novel sentences by one voice of their
    split (test_novel: the test voices). Voices take turns, so each reads about as many sentences of each pair.
    """
    gen = cfg["generated"]
    selection = select_generated(cfg)
    voices = make_voices(cfg)
    jobs: dict[str, list[SynthJob]] = {split: [] for split in GENERATED_SPLITS}
    frames: dict[str, dict[str, str]] = {}
    for p_index, (pair, chosen) in enumerate(selection.items()):
        for split in GENERATED_SPLITS:
            speakers = voices.speakers["test" if split == "test_novel" else split]
            turn = p_index + (len(chosen.splits["test"]) if split == "test_novel" else 0)
            for s_index, item in enumerate(chosen.splits[split]):
                shared = split == "train" and s_index < int(gen["shared_sentences"])
                sentence = Sentence(pair, item.key, item.sentence.segments, frozenset())
                for _ in range(int(gen["shared_readings"]) if shared else 1):
                    spk = speakers[turn % len(speakers)]
                    turn += 1
                    uttid = f"{spk['id']}-{pair}-{item.key}"
                    name = f"{uttid}.{_cache_key(cfg, spk, sentence)}.{cfg['audio_format']}"
                    jobs[split].append(SynthJob(uttid, dict(spk), sentence, str(audio_dir / pair / name)))
                    frames[uttid] = {"kind": item.kind, "frame": item.frame}
    record = {
        "frames": {pair: chosen.record() for pair, chosen in selection.items()},
        "voices": voices.record(),
        "utterance_frames": frames,
    }
    return jobs, record


def prepare_demo(output_dir: str | Path, cfg: dict[str, Any], num_jobs: int) -> tuple[dict, dict[str, Any]]:
    """Synthesise the demo world into ``<output_dir>/audio/mini``: its utterances per split and the report's
    additions (``sentence_source``, for the generated source ``frames`` and ``voices``, and ``split_details``)."""
    check_world_config(cfg)
    audio_dir = Path(output_dir).resolve() / "audio" / "mini"
    source = cfg["sentences"]
    if source == "templates":
        splits = run_jobs(plan_jobs(cfg, audio_dir), cfg, num_jobs)
        extra: dict[str, Any] = {"sentence_source": source}
    else:
        jobs, record = plan_generated(cfg, audio_dir)
        splits = run_jobs(jobs, cfg, num_jobs)
        frames = record.pop("utterance_frames")
        for utts in splits.values():
            for utt in utts:
                utt.meta.update(frames[utt.id])
        extra = {"sentence_source": source, **record}
    extra["split_details"] = describe_splits(splits)
    return splits, extra


def sentence_stats(items: list[tuple[str, str, str]], train_units: dict[str, set[str]] | None) -> dict[str, Any]:
    """Distinct sentences, distinct scoring units per pair and sentences read by two or more voices of
    ``(pair, speaker, text)`` readings; with ``train_units``, the distinct units of the split not in train."""
    readers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pair, speaker, text in items:
        readers[(pair, normalize(text))].add(speaker)
    units: dict[str, set[str]] = defaultdict(set)
    for pair, sentence in readers:
        units[pair].update(split_units(sentence))
    stats: dict[str, Any] = {
        "sentences": len(readers),
        "sentences_per_pair": dict(sorted(Counter(pair for pair, _ in readers).items())),
        "units_per_pair": {pair: len(units[pair]) for pair in sorted(units)},
        "sentences_read_by_2plus": sum(len(spk) >= 2 for spk in readers.values()),
    }
    if train_units is not None:
        stats["units_not_in_train"] = sum(len(units[p] - train_units.get(p, set())) for p in units)
    return stats


def describe_splits(splits: dict[str, list[Utterance]]) -> dict[str, dict[str, Any]]:
    """:func:`sentence_stats` of every split of prepared utterances."""
    train_units: dict[str, set[str]] = defaultdict(set)
    for utt in splits.get("train", []):
        train_units[utt.lang].update(split_units(normalize(utt.text)))
    return {
        split: sentence_stats([(u.lang, u.speaker, u.text) for u in utts], None if split == "train" else train_units)
        for split, utts in splits.items()
    }


def describe_selection(selection: dict[str, PairSelection]) -> dict[str, Any]:
    """Sentences and scoring units per pair and split of a selection alone (no voices, no audio)."""
    out: dict[str, Any] = {}
    for split in GENERATED_SPLITS:
        items = [(pair, "", c.sentence.text) for pair, sel in selection.items() for c in sel.splits[split]]
        out[split] = sentence_stats(items, None)
    return out
