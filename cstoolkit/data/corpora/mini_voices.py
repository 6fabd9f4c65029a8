"""Pseudo-speakers of the generated demo world, made from espeak-ng's voice variants.

Every variant espeak-ng lists (``espeak-ng --voices=variant``), less the configured exclusions (whispered,
distorted and robot/echo variants by default) and less the variants that speak exactly like one before them (a
short probe phrase gives byte-identical audio), is shuffled with the corpus seed. The test voices take the first
variants, the dev voices the next ones and the train voices the rest (cycled when more train voices are asked for
than variants are left), so no variant is heard in two splits. Each voice draws a pitch, a speaking rate and a
vocal-tract warp from the configured ranges. The warp resamples the synthesised audio: every frequency (formants and
pitch) is scaled by the factor, and espeak-ng is asked for a rate divided by it so that the speaking rate stays
what was drawn (:func:`vocal_tract_warp`).
"""

from __future__ import annotations

import hashlib
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from cstoolkit.data.audio import resample
from cstoolkit.errors import ConfigError, CstkError

#: speaker id prefixes of the generated voices per split (never a prefix of another: Kaldi sorts by utterance id)
PREFIXES = {"train": "gtr", "dev": "gdv", "test": "gts"}
#: what every variant says once to find variants that sound the same
PROBE = "one two three, a quick test"


@dataclass
class VoicePlan:
    """The voices of every split and how the variants were chosen (recorded in ``prepare_report.json``)."""

    speakers: dict[str, list[dict[str, Any]]]
    listed: int
    excluded: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {
            "variants_listed": self.listed,
            "variants_excluded": self.excluded,
            "variants_duplicate_of": self.duplicates,
            "speakers": self.speakers,
        }


def vocal_tract_warp(samples: np.ndarray, rate: int, warp: float) -> np.ndarray:
    """``samples`` played ``warp`` times faster: every frequency times ``warp``, the duration divided by it."""
    if warp == 1.0:
        return samples
    return resample(samples, round(rate * warp), rate)


def espeak_rate(speaker: dict[str, Any]) -> int:
    """The rate (words per minute) espeak-ng is asked for: the speaker's, divided by its warp."""
    warp = float(speaker.get("warp", 1.0))
    return int(speaker["rate"]) if warp == 1.0 else max(80, round(int(speaker["rate"]) / warp))


def _run(cmd: list[str]) -> bytes:
    try:
        return subprocess.run(cmd, capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise CstkError(f"{cmd[0]} not found: run scripts/setup_env.sh (installs espeak-ng)") from None
    except subprocess.CalledProcessError as err:
        message = err.stderr.decode(errors="replace").strip().splitlines()
        raise CstkError(f"{' '.join(cmd[:3])} failed: {message[0] if message else err}") from None


@lru_cache(maxsize=4)
def list_variants(espeak: str) -> tuple[str, ...]:
    """The variant names espeak-ng lists (the file names under ``!v/``), sorted case-insensitively."""
    names = set()
    for line in _run([espeak, "--voices=variant"]).decode(errors="replace").splitlines()[1:]:
        file = next((token for token in line.split() if token.startswith("!v/")), None)
        if file:
            names.add(file[3:])
    return tuple(sorted(names, key=lambda name: (name.lower(), name)))


@lru_cache(maxsize=4)
def duplicate_variants(espeak: str, voice: str, variants: tuple[str, ...]) -> dict[str, str]:
    """Variants whose probe audio is byte-identical to that of an earlier variant: ``{variant: earlier}``."""
    cmd = [espeak, "-p", "50", "-s", "160", "--stdout"]
    with ThreadPoolExecutor(4) as pool:
        audio = list(pool.map(lambda v: _run([*cmd, "-v", f"{voice}+{v}", PROBE]), variants))
    first: dict[str, str] = {}
    duplicates = {}
    for variant, wave in zip(variants, audio, strict=True):
        digest = hashlib.sha1(wave).hexdigest()
        if digest in first:
            duplicates[variant] = first[digest]
        else:
            first[digest] = variant
    return duplicates


def _draw(rng: random.Random, bounds: list[float], as_int: bool) -> float:
    low, high = (float(b) for b in bounds)
    if as_int:
        return rng.randint(round(low), round(high))
    return round(rng.uniform(low, high), 3)


def make_voices(cfg: dict[str, Any]) -> VoicePlan:
    """The generated world's voices per split (``generated.speakers`` of the mini config), seeded by ``seed``."""
    spk_cfg = cfg["generated"]["speakers"]
    counts = {split: int(spk_cfg[split]) for split in PREFIXES}
    listed = list_variants(cfg["espeak"])
    excluded = sorted(set(spk_cfg.get("exclude_variants") or []) & set(listed), key=str.lower)
    candidates = tuple(v for v in listed if v not in excluded)
    duplicates = duplicate_variants(cfg["espeak"], cfg["voices"]["en"], candidates)
    variants = [v for v in candidates if v not in duplicates]
    held = counts["test"] + counts["dev"]
    if held + min(1, counts["train"]) > len(variants):
        raise ConfigError(
            f"data.mini.generated.speakers: {counts['test']} test + {counts['dev']} dev voices need as many distinct "
            f"espeak-ng variants plus one for train; {len(variants)} are usable ({len(listed)} listed, "
            f"{len(excluded)} excluded, {len(duplicates)} duplicates)"
        )
    rng = random.Random(f"cstk-mini-voices|{cfg['seed']}")
    rng.shuffle(variants)
    pools = {"test": variants[: counts["test"]], "dev": variants[counts["test"] : held], "train": variants[held:]}
    speakers: dict[str, list[dict[str, Any]]] = {}
    for split in ("train", "dev", "test"):
        width = max(2, len(str(counts[split])))
        speakers[split] = [
            {
                "id": f"{PREFIXES[split]}{index + 1:0{width}d}",
                "variant": pools[split][index % len(pools[split])],
                "pitch": int(_draw(rng, spk_cfg["pitch"], True)),
                "rate": int(_draw(rng, spk_cfg["rate"], True)),
                "warp": _draw(rng, spk_cfg["warp"], False),
            }
            for index in range(counts[split])
        ]
    return VoicePlan(speakers, len(listed), excluded, duplicates)
