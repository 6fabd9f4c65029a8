"""New code-switched sentences made of a corpus's own words: what a TTS must speak that it never heard.

Two sentences of the same language pair are combined along their language segments (``utt2seg.jsonl``):
``swap`` (the default) puts an inserted segment of one (the pair's second language, ``zh-en``: English) in the place
of one in the other, e.g.
"今天去 | shopping mall | 买东西" and "我们 | weekend | 有一个 budget" give "今天去 weekend 买东西"; ``crossover`` joins
the beginning of one to the end of the other where both continue in the same language ("今天去 weekend 有一个
budget"), a new sentence structure. Every word is in the corpus, the combination is not: sentences already in any
of the excluded texts (train, dev, test) are drawn again. Each new
sentence is given to one of the target speakers (round robin), so that a voice prompt of that speaker can be taken
from a real data directory (``cstk synthesize --data-dir NEW --prompts-from data/test``).

No library makes code-switched test sentences from a corpus's segments, hence these few lines.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

from cstoolkit.core.atomic import atomic_write_text
from cstoolkit.data.kaldi_dir import SEGMENT_JOINER, SEGMENTS_FILE, read_kaldi_file, read_segments
from cstoolkit.errors import InputFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NovelSentence:
    """One new sentence: its id, text, language pair (``utt2lang`` tag), segments, speaker and the two source
    utterances whose beginning and end it joins."""

    utt: str
    text: str
    lang: str
    segments: tuple[tuple[str, str], ...]
    speaker: str
    sources: tuple[str, str]


def crossovers(a: list[dict[str, str]], b: list[dict[str, str]], embedded: str) -> list[list[dict[str, str]]]:
    """Every ``a[:i] + b[j:]`` (``0 < i < len(a)``, ``0 < j < len(b)``) where ``a[i]`` and ``b[j]`` have the same
    language, as long as the result still switches language."""
    out = []
    for i in range(1, len(a)):
        for j in range(1, len(b)):
            if a[i]["lang"] == b[j]["lang"]:
                joined = a[:i] + b[j:]
                if len({s["lang"] for s in joined}) > 1:
                    out.append(joined)
    return out


def swaps(a: list[dict[str, str]], b: list[dict[str, str]], embedded: str) -> list[list[dict[str, str]]]:
    """Every ``a`` with one of its ``embedded``-language segments replaced by a different one of ``b``: the
    sentence's frame (its matrix language) stays, the inserted words change."""
    return [
        [*a[:i], seg, *a[i + 1 :]]
        for i in range(len(a))
        for seg in b
        if a[i]["lang"] == seg["lang"] == embedded and seg["text"] != a[i]["text"]
    ]


#: how two sentences are combined
KINDS = {"swap": swaps, "crossover": crossovers}


def make_novel_sentences(
    segments: dict[str, list[dict[str, str]]],
    utt2lang: dict[str, str],
    exclude: set[str],
    speakers: list[str],
    per_pair: int,
    seed: int = 0,
    kind: str = "swap",
) -> list[NovelSentence]:
    """Up to ``per_pair`` new sentences for each language pair of ``utt2lang`` (fewer where the pair has no more
    distinct combinations), none of whose texts is in ``exclude``; speakers given round robin. ``kind``: a key of
    :data:`KINDS`."""
    combine = KINDS[kind]
    rng = random.Random(seed)
    by_pair: dict[str, list[str]] = {}
    for utt in sorted(segments):
        if utt in utt2lang and len(segments[utt]) > 1:
            by_pair.setdefault(utt2lang[utt], []).append(utt)
    seen = set(exclude)
    out: list[NovelSentence] = []
    for pair, utts in sorted(by_pair.items()):
        made = 0
        for _ in range(50 * per_pair):
            if made == per_pair or len(utts) < 2:
                break
            a, b = rng.sample(utts, 2)
            options = combine(segments[a], segments[b], pair.split("-")[-1])
            if not options:
                continue
            joined = rng.choice(options)
            text = SEGMENT_JOINER.join(s["text"] for s in joined)
            if text in seen:
                continue
            seen.add(text)
            speaker = speakers[len(out) % len(speakers)]
            utt = f"{speaker}-novel-{pair}-{made:03d}"
            pieces = tuple((s["lang"], s["text"]) for s in joined)
            out.append(NovelSentence(utt, text, pair, pieces, speaker, (a, b)))
            made += 1
        if made < per_pair:
            log.warning("language pair %s: %d new sentence(s) of the %d asked for", pair, made, per_pair)
    return out


def write_novel_dir(sentences: list[NovelSentence], out_dir: str | Path) -> None:
    """``text``, ``utt2lang``, ``utt2seg.jsonl``, ``utt2spk``, ``spk2utt`` and ``sources`` (the two corpus
    utterances of each sentence) of a data directory without audio."""
    import json

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = sorted(sentences, key=lambda s: s.utt)
    atomic_write_text(out_dir / "text", "".join(f"{s.utt} {s.text}\n" for s in rows))
    atomic_write_text(out_dir / "utt2lang", "".join(f"{s.utt} {s.lang}\n" for s in rows))
    atomic_write_text(out_dir / "utt2spk", "".join(f"{s.utt} {s.speaker}\n" for s in rows))
    spk2utt: dict[str, list[str]] = {}
    for s in rows:
        spk2utt.setdefault(s.speaker, []).append(s.utt)
    atomic_write_text(out_dir / "spk2utt", "".join(f"{k} {' '.join(v)}\n" for k, v in sorted(spk2utt.items())))
    segs = [
        json.dumps(
            {"id": s.utt, "segments": [{"lang": lang, "text": text} for lang, text in s.segments]}, ensure_ascii=False
        )
        for s in rows
    ]
    atomic_write_text(out_dir / SEGMENTS_FILE, "".join(line + "\n" for line in segs))
    atomic_write_text(out_dir / "sources", "".join(f"{s.utt} {s.sources[0]} {s.sources[1]}\n" for s in rows))


def novel_dir(
    data_dir: str | Path,
    out_dir: str | Path,
    speakers_from: str | Path,
    exclude_dirs: list[str | Path],
    per_pair: int,
    seed: int = 0,
    kind: str = "swap",
) -> list[NovelSentence]:
    """New sentences (``kind``: see :data:`KINDS`) from the segments of ``data_dir`` (none in its text or in the
    ``exclude_dirs``' texts),
    spoken by the speakers of ``speakers_from``'s ``utt2spk``, written into ``out_dir``."""
    data_dir, speakers_from = Path(data_dir), Path(speakers_from)
    for path in (data_dir / SEGMENTS_FILE, data_dir / "utt2lang", speakers_from / "utt2spk"):
        if not path.is_file():
            raise InputFileError(path, "missing: needed to make new sentences")
    exclude: set[str] = set()
    for d in [data_dir, *map(Path, exclude_dirs)]:
        if not (d / "text").is_file():
            raise InputFileError(d / "text", "missing: the sentences to exclude")
        exclude.update(read_kaldi_file(d / "text", allow_empty_value=True).values())
    speakers = sorted(set(read_kaldi_file(speakers_from / "utt2spk").values()))
    if not speakers:
        raise InputFileError(speakers_from / "utt2spk", "no speaker")
    sentences = make_novel_sentences(
        read_segments(data_dir / SEGMENTS_FILE),
        read_kaldi_file(data_dir / "utt2lang"),
        exclude,
        speakers,
        per_pair,
        seed,
        kind,
    )
    if not sentences:
        raise InputFileError(data_dir / SEGMENTS_FILE, f"no two sentences of a language pair combine ({kind})")
    write_novel_dir(sentences, out_dir)
    log.info("%d new sentences (%d language pairs) -> %s", len(sentences), len({s.lang for s in sentences}), out_dir)
    return sentences
