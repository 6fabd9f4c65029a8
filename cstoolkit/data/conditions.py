"""The catalogue of named test conditions for robustness evaluation: what each does to a waveform.

:data:`CONDITIONS` is the one registry (clean, white/pink noise at 30/20/10 dB, babble of other speakers at 15 dB,
speed 0.9/1.1, reverberation, 8 kHz telephone band); :func:`augmentation_copy` makes training augmentation a
condition too. :mod:`cstoolkit.data.corrupt` writes a data directory under a condition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from cstoolkit.data import effects
from cstoolkit.data.augment import Augmenter
from cstoolkit.errors import ConfigError


@dataclass(frozen=True)
class Context:
    """What a condition may use besides the waveform: the rate, the generator and, for babble, other talkers."""

    sr: int
    rng: np.random.Generator
    babble: list[np.ndarray] = field(default_factory=list)


def _clean(wav: np.ndarray, ctx: Context) -> np.ndarray:
    return wav


def _noise(wav: np.ndarray, ctx: Context, kind: str, snr_db: float) -> np.ndarray:
    return effects.add_noise(wav, effects.coloured_noise(kind, wav.size, ctx.rng), snr_db)


def _babble(wav: np.ndarray, ctx: Context, snr_db: float) -> np.ndarray:
    """Sum of the other talkers, each at equal active level and from a random offset, added at ``snr_db``."""
    mix = np.zeros(wav.size, np.float64)
    for other in ctx.babble:
        power = effects.active_power(other)
        if power > 0:
            mix += effects.fit_length(other, wav.size, ctx.rng) / np.sqrt(power)
    if not mix.any():
        raise ValueError("babble sources are silent")
    return effects.add_noise(wav, mix.astype(np.float32), snr_db)


def _speed(wav: np.ndarray, ctx: Context, factor: float) -> np.ndarray:
    return effects.speed_perturb(wav, ctx.sr, factor)


def _reverb(wav: np.ndarray, ctx: Context, rt60: float) -> np.ndarray:
    return effects.reverberate(wav, effects.room_impulse_response(ctx.sr, rt60, ctx.rng))


def _telephone(wav: np.ndarray, ctx: Context) -> np.ndarray:
    return effects.telephone_band(wav, ctx.sr)


@dataclass(frozen=True)
class Condition:
    """A named corruption: ``apply(wav, ctx)`` returns the corrupted waveform at the same rate."""

    name: str
    description: str
    apply: Callable[[np.ndarray, Context], np.ndarray]
    babble: bool = False  # needs utterances of other speakers of the same data directory
    settings: dict[str, Any] | None = None  # what shapes ``apply`` beyond the name (part of the fingerprint)


def _registry(*conditions: Condition) -> dict[str, Condition]:
    return {c.name: c for c in conditions}


#: every named condition, in the order of a robustness table
CONDITIONS: dict[str, Condition] = _registry(
    Condition("clean", "the audio as it is (re-encoded as 16-bit wav)", _clean),
    *(
        Condition(f"{kind}_{snr}db", f"{kind} noise at {snr} dB SNR", partial(_noise, kind=kind, snr_db=float(snr)))
        for kind in ("white", "pink")
        for snr in (30, 20, 10)
    ),
    Condition("babble_15db", "3-5 utterances of other speakers at 15 dB SNR", partial(_babble, snr_db=15.0), True),
    Condition("speed_0.9", "speed perturbation 0.9 (slower, lower pitch)", partial(_speed, factor=0.9)),
    Condition("speed_1.1", "speed perturbation 1.1 (faster, higher pitch)", partial(_speed, factor=1.1)),
    Condition("reverb", "synthetic room impulse response, RT60 0.5 s", partial(_reverb, rt60=0.5)),
    Condition("telephone_8k", "8 kHz telephone band, 300-3400 Hz, back at the input rate", _telephone),
)


def _augmented(wav: np.ndarray, ctx: Context, augmenter: Augmenter) -> np.ndarray:
    return augmenter.apply(wav, augmenter.draw(ctx.rng), ctx.rng)


def augmentation_copy(augmenter: Augmenter, copy: int) -> Condition:
    """Training augmentation as a condition: copy ``copy`` (1, 2, ...) of a data directory, each utterance
    augmented by ``augmenter`` with its own draw (speed, room, noise, gain), different for every copy."""
    return Condition(
        f"augment{copy}",
        f"training augmentation, copy {copy}",
        partial(_augmented, augmenter=augmenter),
        settings=augmenter.settings(),
    )


def condition(name: str) -> Condition:
    """The condition called ``name``; ConfigError listing the valid names otherwise."""
    if name not in CONDITIONS:
        raise ConfigError(f"unknown condition {name!r}; choose one of: {', '.join(CONDITIONS)} (or all)")
    return CONDITIONS[name]
