"""Synthetic code-switched corpora for the bootstrap and comparison tests: references and hypotheses with a chosen
error rate, reproducible from a seed."""

from __future__ import annotations

import numpy as np

WORDS = [
    "我",
    "今天",
    "去",
    "shopping",
    "mall",
    "买",
    "东西",
    "meeting",
    "明日",
    "の",
    "vamos",
    "al",
    "trabajo",
    "오늘",
    "회의가",
    "я",
    "забыл",
    "project",
    "deadline",
]
TAGS = ("zh-en", "ja-en", "es-en", "ko-en")


def references(count: int, seed: int = 0) -> tuple[list[str], list[str], dict[str, str]]:
    """(ids, reference texts, utt2lang) of ``count`` utterances of 3-11 words."""
    rng = np.random.default_rng(seed)
    ids = [f"utt{i:04d}" for i in range(count)]
    refs = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 12)))) for _ in range(count)]
    return ids, refs, {uttid: TAGS[i % len(TAGS)] for i, uttid in enumerate(ids)}


def corrupt(text: str, rate: float, rng: np.random.Generator) -> str:
    """Each word is substituted, deleted or followed by an insertion with probability ``rate`` (a third each)."""
    out: list[str] = []
    for word in text.split():
        if rng.random() >= rate:
            out.append(word)
            continue
        kind = rng.integers(0, 3)
        if kind == 0:
            out.append(str(rng.choice([w for w in WORDS if w != word])))
        elif kind == 2:
            out.extend([word, str(rng.choice(WORDS))])
    return " ".join(out)


def system(refs: list[str], rate: float, seed: int) -> list[str]:
    """Hypotheses of a system that errs on each word with probability ``rate``."""
    rng = np.random.default_rng(seed)
    return [corrupt(ref, rate, rng) for ref in refs]
