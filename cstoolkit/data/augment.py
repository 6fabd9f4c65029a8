"""Training augmentation: :class:`Augmenter` draws, per utterance and epoch, which waveform effects to apply.

The effects (speed, coloured noise, reverberation, gain, telephone band) are in :mod:`cstoolkit.data.effects`, the
MUSAN noise reader in :mod:`cstoolkit.data.noise_corpus`; both are importable from here too. The probabilities and
ranges come from the ``augment`` config group; the draws come from a generator seeded by ``(seed, epoch, utterance
id)``: the same utterance in the same epoch gets the same augmentation in any worker process and on any machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from cstoolkit.data.effects import (
    MAX_SPEED_DENOMINATOR,
    NOISE_COLOURS,
    active_power,
    add_noise,
    apply_gain,
    coloured_noise,
    fit_length,
    reverberate,
    room_impulse_response,
    speed_perturb,
    telephone_band,
)
from cstoolkit.data.noise_corpus import MUSAN_CATEGORIES, NOISE_EXTENSIONS, NoiseSource, musan_noise_source
from cstoolkit.errors import ConfigError

__all__ = [
    "MAX_SPEED_DENOMINATOR",
    "MUSAN_CATEGORIES",
    "NOISE_COLOURS",
    "NOISE_EXTENSIONS",
    "AugmentPlan",
    "Augmenter",
    "NoiseSource",
    "active_power",
    "add_noise",
    "apply_gain",
    "coloured_noise",
    "fit_length",
    "musan_noise_source",
    "reverberate",
    "room_impulse_response",
    "speed_perturb",
    "stable_seed",
    "telephone_band",
]


def stable_seed(*parts: int | str) -> list[int]:
    """Seed material for ``numpy.random.default_rng`` from ints and strings; unlike ``hash()`` it is the same in
    every process and Python version."""
    words = []
    for part in parts:
        if isinstance(part, str):
            words.append(int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "little"))
        else:
            words.append(int(part) & 0xFFFFFFFFFFFFFFFF)
    return words


@dataclass(frozen=True)
class AugmentPlan:
    """What :class:`Augmenter` applies to one utterance in one epoch (None: not applied)."""

    speed: float = 1.0
    rt60: float | None = None
    noise: str | None = None  # a colour of NOISE_COLOURS, or "musan"
    snr_db: float | None = None
    gain_db: float | None = None


def _pair(value: Sequence[float], key: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"bad configuration value augment.{key}={value!r}: expected [low, high]") from None
    if not low <= high:
        raise ConfigError(f"bad configuration value augment.{key}={value!r}: low must not exceed high")
    return low, high


def _probability(value: float, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"bad configuration value augment.{key}={value!r}: expected a probability in [0, 1]")
    return float(value)


@dataclass
class Augmenter:
    """Training augmentation from the ``augment`` config group (``hydra.utils.instantiate(cfg.augment)``).

    Per call, in this order: speed perturbation (a factor drawn uniformly from ``speed_factors``), reverberation
    (probability ``reverb_prob``, RT60 uniform in ``reverb_rt60``), additive noise (probability ``noise_prob``, SNR
    uniform in ``noise_snr_db``; from the MUSAN folder ``musan_dir`` with probability ``musan_prob``, else a colour
    of ``noise_kinds``), gain (probability ``gain_prob``, uniform in ``gain_db``). The random numbers come from a
    generator seeded by ``(seed, epoch, utterance id)``, so an utterance is augmented the same way in every run.
    """

    seed: int = 0
    sample_rate: int = 16000
    speed_factors: Sequence[float] = (0.9, 1.0, 1.1)
    noise_prob: float = 0.0
    noise_kinds: Sequence[str] = ("white", "pink", "brown")
    noise_snr_db: Sequence[float] = (5.0, 40.0)
    musan_dir: str | None = None
    musan_prob: float = 0.0
    reverb_prob: float = 0.0
    reverb_rt60: Sequence[float] = (0.2, 0.8)
    gain_prob: float = 0.0
    gain_db: Sequence[float] = (-6.0, 6.0)

    def __post_init__(self) -> None:
        self.speed_factors = tuple(float(f) for f in (self.speed_factors or (1.0,)))
        if not all(f > 0 for f in self.speed_factors):
            raise ConfigError(
                f"bad configuration value augment.speed_factors={list(self.speed_factors)}: expected positive factors"
            )
        self.noise_kinds = tuple(str(k) for k in (self.noise_kinds or ()))
        bad = [k for k in self.noise_kinds if k not in NOISE_COLOURS]
        if bad:
            raise ConfigError(
                f"bad configuration value augment.noise_kinds: {bad}; choose from {', '.join(NOISE_COLOURS)}"
            )
        for key in ("noise_prob", "musan_prob", "reverb_prob", "gain_prob"):
            setattr(self, key, _probability(getattr(self, key), key))
        self.noise_snr_db = _pair(self.noise_snr_db, "noise_snr_db")
        self.reverb_rt60 = _pair(self.reverb_rt60, "reverb_rt60")
        if self.reverb_rt60[0] <= 0:
            raise ConfigError(
                f"bad configuration value augment.reverb_rt60={list(self.reverb_rt60)}: expected positive seconds"
            )
        self.gain_db = _pair(self.gain_db, "gain_db")
        if self.noise_prob > 0 and not self.noise_kinds and not (self.musan_dir and self.musan_prob > 0):
            raise ConfigError("augment.noise_prob > 0 needs augment.noise_kinds or augment.musan_dir")
        self._musan = musan_noise_source(self.musan_dir) if self.musan_dir else None

    def rng(self, utt_id: str, epoch: int = 0) -> np.random.Generator:
        """The generator of one utterance in one epoch."""
        return np.random.default_rng(stable_seed(self.seed, epoch, utt_id))

    def draw(self, rng: np.random.Generator) -> AugmentPlan:
        """Draw an :class:`AugmentPlan`. The same number of values is drawn whatever is applied, so one setting
        (a probability) changing does not change the other draws."""
        speed = self.speed_factors[int(rng.integers(len(self.speed_factors)))]
        use_reverb, rt60 = rng.random() < self.reverb_prob, rng.uniform(*self.reverb_rt60)
        use_noise, snr = rng.random() < self.noise_prob, rng.uniform(*self.noise_snr_db)
        use_musan = rng.random() < self.musan_prob and self._musan is not None
        kind = self.noise_kinds[int(rng.integers(len(self.noise_kinds)))] if self.noise_kinds else None
        use_gain, gain = rng.random() < self.gain_prob, rng.uniform(*self.gain_db)
        noise = ("musan" if use_musan or kind is None else kind) if use_noise else None
        return AugmentPlan(
            speed=speed,
            rt60=float(rt60) if use_reverb else None,
            noise=noise,
            snr_db=float(snr) if use_noise else None,
            gain_db=float(gain) if use_gain else None,
        )

    def apply(self, wav: np.ndarray, plan: AugmentPlan, rng: np.random.Generator) -> np.ndarray:
        """Apply ``plan`` to ``wav`` (mono float32 at ``sample_rate``), drawing noise and RIRs from ``rng``."""
        out = np.asarray(wav, dtype=np.float32)
        if plan.speed != 1.0:
            out = speed_perturb(out, self.sample_rate, plan.speed)
        if plan.rt60 is not None:
            out = reverberate(out, room_impulse_response(self.sample_rate, plan.rt60, rng))
        if plan.noise is not None and plan.snr_db is not None:
            if plan.noise == "musan":
                assert self._musan is not None
                noise = self._musan.sample(out.size, self.sample_rate, rng)
            else:
                noise = coloured_noise(plan.noise, out.size, rng)
            out = add_noise(out, noise, plan.snr_db)
        if plan.gain_db is not None:
            out = apply_gain(out, plan.gain_db)
        return out

    def __call__(self, wav: np.ndarray, utt_id: str, epoch: int = 0) -> np.ndarray:
        """The augmented waveform of utterance ``utt_id`` in ``epoch`` (deterministic given the seed)."""
        rng = self.rng(utt_id, epoch)
        return self.apply(wav, self.draw(rng), rng)

    def settings(self) -> dict[str, object]:
        """The configuration as a plain dict (for logs and fingerprints)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items() if not k.startswith("_")}
