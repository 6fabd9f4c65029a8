"""Waveform augmentation (cstoolkit.data.augment) on short synthetic signals."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from cstoolkit.data.augment import (
    NOISE_COLOURS,
    Augmenter,
    active_power,
    add_noise,
    apply_gain,
    coloured_noise,
    musan_noise_source,
    reverberate,
    room_impulse_response,
    speed_perturb,
    telephone_band,
)
from cstoolkit.errors import ConfigError, InputFileError

SR = 16000


def sine(seconds: float = 0.5, freq: float = 440.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def power_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2))


@pytest.mark.parametrize("factor", [0.9, 1.0, 1.1, 0.95])
def test_speed_perturb_length(factor):
    wav = sine(0.37)
    out = speed_perturb(wav, SR, factor)
    assert abs(out.size - wav.size / factor) <= 1.0
    assert out.dtype == np.float32


def test_speed_perturb_moves_pitch():
    out = speed_perturb(sine(0.5, freq=500.0), SR, 1.1)
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * SR / out.size
    assert peak_hz == pytest.approx(550.0, abs=5.0)


def test_speed_perturb_rejects_non_positive():
    with pytest.raises(ValueError):
        speed_perturb(sine(), SR, 0.0)


@pytest.mark.parametrize("kind", list(NOISE_COLOURS))
@pytest.mark.parametrize("snr", [0.0, 10.0, 25.0])
def test_add_noise_hits_snr(kind, snr):
    rng = np.random.default_rng(3)
    wav = sine(0.4)
    noisy = add_noise(wav, coloured_noise(kind, 3000, rng), snr)  # shorter noise: looped
    assert noisy.size == wav.size
    assert power_db(wav) - power_db(noisy - wav) == pytest.approx(snr, abs=0.5)


def test_add_noise_measures_active_power_only():
    """Pauses do not count: half silence gives the same noise level as the speech part alone."""
    speech = sine(0.25)
    padded = np.concatenate([np.zeros(speech.size, np.float32), speech])
    noise = coloured_noise("white", padded.size, np.random.default_rng(0))
    noisy = add_noise(padded, noise, 10.0)
    assert power_db(speech) - power_db(noisy - padded) == pytest.approx(10.0, abs=0.5)
    assert active_power(np.zeros(800, np.float32)) == 0.0
    assert np.array_equal(add_noise(np.zeros(800, np.float32), noise, 10.0), np.zeros(800, np.float32))


def test_add_noise_crops_longer_noise_and_refuses_silent_noise():
    wav = sine(0.1)
    noise = coloured_noise("pink", wav.size * 5, np.random.default_rng(1))
    assert add_noise(wav, noise, 20.0).size == wav.size
    with pytest.raises(ValueError):
        add_noise(wav, np.zeros(100, np.float32), 20.0)


@pytest.mark.parametrize(("kind", "alpha"), list(NOISE_COLOURS.items()))
def test_noise_spectral_slope(kind, alpha):
    """Power spectral density ~ 1/f**alpha: the log-log slope over 50 Hz - 5 kHz is about -alpha."""
    n = 2**16
    noise = coloured_noise(kind, n, np.random.default_rng(7))
    assert noise.size == n and np.sqrt(np.mean(noise.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    psd = np.abs(np.fft.rfft(noise.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(n, 1 / SR)
    band = (freqs > 50) & (freqs < 5000)
    slope = np.polyfit(np.log10(freqs[band]), np.log10(psd[band]), 1)[0]
    assert slope == pytest.approx(-alpha, abs=0.15)


def test_noise_is_seeded():
    a = coloured_noise("pink", 1000, np.random.default_rng(5))
    b = coloured_noise("pink", 1000, np.random.default_rng(5))
    c = coloured_noise("pink", 1000, np.random.default_rng(6))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    with pytest.raises(ValueError, match="unknown noise colour"):
        coloured_noise("purple", 10, np.random.default_rng(0))


def test_reverb_keeps_length_and_level():
    rng = np.random.default_rng(2)
    rir = room_impulse_response(SR, 0.4, rng)
    assert rir.size == round(0.4 * SR) and np.sum(rir.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-4)
    assert np.argmax(np.abs(rir)) == 0
    wav = sine(0.3)
    wet = reverberate(wav, rir)
    assert wet.size == wav.size
    assert power_db(wet) == pytest.approx(power_db(wav), abs=0.01)
    assert not np.allclose(wet, wav, atol=1e-3)
    again = room_impulse_response(SR, 0.4, np.random.default_rng(2))
    assert np.array_equal(rir, again)


def test_rir_decays_by_rt60():
    rir = room_impulse_response(SR, 0.5, np.random.default_rng(0), early_reflections=0).astype(np.float64)
    early = np.mean(rir[100:1600] ** 2)  # 6-100 ms
    late = np.mean(rir[6500:8000] ** 2)  # 406-500 ms: window centres 0.4 s apart, 60 dB per 0.5 s -> 48 dB
    assert 10 * np.log10(early / late) == pytest.approx(60 * 0.4 / 0.5, abs=2.0)


def test_gain():
    wav = sine()
    assert power_db(apply_gain(wav, 6.0)) - power_db(wav) == pytest.approx(6.0, abs=1e-3)
    assert power_db(apply_gain(wav, -12.0)) - power_db(wav) == pytest.approx(-12.0, abs=1e-3)


def test_telephone_band_removes_high_and_low_frequencies():
    rng = np.random.default_rng(4)
    wav = coloured_noise("white", SR, rng) * 0.1
    out = telephone_band(wav, SR)
    assert out.size == wav.size and out.dtype == np.float32
    psd = np.abs(np.fft.rfft(out.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(out.size, 1 / SR)
    total = psd.sum()
    assert psd[freqs > 4000].sum() / total < 1e-3
    assert psd[freqs < 150].sum() / total < 1e-2
    assert psd[(freqs > 500) & (freqs < 3000)].sum() / total > 0.8


def test_musan_source(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        musan_noise_source(tmp_path / "nope")
    (tmp_path / "noise" / "free-sound").mkdir(parents=True)
    (tmp_path / "music").mkdir()
    with pytest.raises(InputFileError, match=str(tmp_path)):
        musan_noise_source(tmp_path)
    noise = coloured_noise("brown", 4000, np.random.default_rng(0)) * 0.1
    sf.write(tmp_path / "noise" / "free-sound" / "n1.wav", noise, 8000)
    source = musan_noise_source(tmp_path)
    assert list(source.files["noise"]) and source.files["music"] == []
    segment = source.sample(20000, SR, np.random.default_rng(0))  # longer than the file at 16 kHz: looped
    assert segment.size == 20000 and active_power(segment) > 0
    same = source.sample(20000, SR, np.random.default_rng(0))
    assert np.array_equal(segment, same)


def test_augmenter_is_deterministic_per_utterance_and_epoch():
    aug = Augmenter(seed=11, speed_factors=[0.9, 1.0, 1.1], noise_prob=0.7, reverb_prob=0.5, gain_prob=0.5)
    wav = sine(0.3)
    first = aug(wav, "spk1-utt1", epoch=0)
    assert np.array_equal(first, Augmenter(**aug.settings())(wav, "spk1-utt1", epoch=0))
    outs = [aug(wav, f"spk1-utt{i}", epoch=e) for i in range(4) for e in range(3)]
    assert sum(not np.array_equal(outs[0], o) for o in outs[1:]) == len(outs) - 1
    other_seed = Augmenter(**{**aug.settings(), "seed": 12})
    assert not np.array_equal(first, other_seed(wav, "spk1-utt1", epoch=0))


def test_augmenter_pickles_for_loader_workers(tmp_path):
    import pickle

    (tmp_path / "speech").mkdir()
    sf.write(tmp_path / "speech" / "s.wav", sine(0.5, 300.0), SR)
    aug = Augmenter(seed=3, noise_prob=1.0, musan_dir=str(tmp_path), musan_prob=1.0)
    wav = sine(0.3)
    copy = pickle.loads(pickle.dumps(aug))
    assert np.array_equal(copy(wav, "u7", 2), aug(wav, "u7", 2))
    assert aug.draw(aug.rng("u7", 2)).noise == "musan"


def test_augmenter_draws_follow_config():
    aug = Augmenter(
        seed=0,
        speed_factors=[0.9, 1.1],
        noise_prob=1.0,
        noise_kinds=["pink"],
        noise_snr_db=[10, 20],
        reverb_prob=0.0,
        gain_prob=1.0,
        gain_db=[-3, 3],
    )
    plans = [aug.draw(aug.rng(f"u{i}")) for i in range(50)]
    assert {p.speed for p in plans} == {0.9, 1.1}
    assert all(p.noise == "pink" and 10 <= p.snr_db <= 20 and p.rt60 is None for p in plans)
    assert all(-3 <= p.gain_db <= 3 for p in plans)
    off = Augmenter(seed=0, speed_factors=[1.0])
    wav = sine(0.2)
    assert np.array_equal(off(wav, "u1"), wav)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"noise_prob": 1.5}, "noise_prob"),
        ({"noise_kinds": ["purple"]}, "noise_kinds"),
        ({"noise_snr_db": [30, 5]}, "noise_snr_db"),
        ({"speed_factors": [0.0, 1.0]}, "speed_factors"),
        ({"reverb_rt60": [0.0, 0.5]}, "reverb_rt60"),
    ],
)
def test_augmenter_bad_config(settings, key):
    with pytest.raises(ConfigError, match=key):
        Augmenter(**settings)


def test_augment_config_group_instantiates():
    from hydra.utils import instantiate

    from cstoolkit.config import load_config

    cfg = load_config([])
    aug = instantiate(cfg.augment.augmenter)
    assert isinstance(aug, Augmenter) and aug.speed_factors == (0.9, 1.0, 1.1) and aug.seed == cfg.seed
    assert cfg.augment.copies == 3 and cfg.augment.split == "train"
    assert load_config(["augment=none"]).augment.copies == 0
