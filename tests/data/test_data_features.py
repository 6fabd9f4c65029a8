"""Features stage on three short files: shapes, HiFi-GAN mel settings, GlobalMVN stats, nj-invariance, skipping."""

import json
import re
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf
from omegaconf import OmegaConf

from cstoolkit.config import load_config
from cstoolkit.data.features import compute_features, compute_split, fbank, hifigan_mel
from cstoolkit.data.kaldi_dir import Utterance, write_data_dir
from cstoolkit.data.validate import validate_data_dir
from cstoolkit.errors import InputFileError


@pytest.fixture
def data_dir(tmp_path: Path, flac_files) -> Path:
    for split in ("train", "test"):
        utts = [
            Utterance(f"spk_{split}{i}", "spk", str(p.resolve()), "hello world", "es-en", sf.info(p).duration)
            for i, p in enumerate(flac_files)
        ]
        write_data_dir(tmp_path / "data" / split, utts)
    return tmp_path / "data"


def test_features_shapes_stats_and_validation(data_dir: Path):
    cfg = load_config([]).features
    assert compute_features(data_dir, cfg, num_jobs=2) == ["train", "test"]
    train = data_dir / "train"
    feats = dict(kaldiio.load_scp(str(train / "feats.scp")).items())
    mels = dict(kaldiio.load_scp(str(train / "mel.scp")).items())
    for uttid, duration in (line.split() for line in (train / "utt2dur").read_text().splitlines()):
        samples = round(float(duration) * 16000)
        assert feats[uttid].shape == (1 + (samples - 400) // 160, 80)  # 25 ms window, 10 ms shift, snip edges
        n22 = round(float(duration) * 22050)
        assert abs(mels[uttid].shape[0] - n22 // 256) <= 1 and mels[uttid].shape[1] == 80
        assert mels[uttid].min() >= np.log(1e-5) - 1e-6
    shapes = dict(line.split() for line in (train / "feats_shape").read_text().splitlines())
    frames = dict(line.split() for line in (train / "utt2num_frames").read_text().splitlines())
    assert all(shapes[u] == f"{feats[u].shape[0]},80" and int(frames[u]) == feats[u].shape[0] for u in feats)
    stats = np.load(train / "feats_stats.npz")
    stacked = np.concatenate(list(feats.values()))
    assert int(stats["count"]) == stacked.shape[0]
    np.testing.assert_allclose(stats["sum"], stacked.sum(0, dtype=np.float64), rtol=1e-5)
    np.testing.assert_allclose(stats["sum_square"], (stacked.astype(np.float64) ** 2).sum(0), rtol=1e-5)
    assert not (data_dir / "test" / "feats_stats.npz").exists()
    assert validate_data_dir(train) == [] and validate_data_dir(data_dir / "test") == []


def test_stats_load_in_espnet_global_mvn(data_dir: Path):
    import torch
    from espnet2.layers.global_mvn import GlobalMVN

    compute_features(data_dir, load_config([]).features, num_jobs=1)
    feats = np.concatenate([v for _, v in kaldiio.load_scp(str(data_dir / "train" / "feats.scp")).items()])
    normed, _ = GlobalMVN(str(data_dir / "train" / "feats_stats.npz"))(
        torch.from_numpy(feats)[None], torch.tensor([len(feats)])
    )
    assert abs(normed.mean().item()) < 1e-3 and abs(normed.std().item() - 1) < 0.05


def test_nj_does_not_change_features_and_up_to_date_splits_are_skipped(data_dir: Path, tmp_path: Path):
    cfg = load_config([]).features
    compute_features(data_dir, cfg, num_jobs=1)
    one = {k: v.copy() for k, v in kaldiio.load_scp(str(data_dir / "train" / "feats.scp")).items()}
    stamp = (data_dir / "train" / "features.json").stat().st_mtime_ns
    assert compute_features(data_dir, cfg, num_jobs=2) == []
    assert (data_dir / "train" / "features.json").stat().st_mtime_ns == stamp
    # naming more splits (one of them absent) does not make the computed ones stale
    assert compute_features(data_dir, load_config(["features.splits=[train,test,train_tts]"]).features, 2) == []
    other = load_config(["features.chunks_per_job=1"]).features
    assert compute_features(data_dir, other, num_jobs=2) == ["train", "test"]
    two = dict(kaldiio.load_scp(str(data_dir / "train" / "feats.scp")).items())
    assert sorted(one) == sorted(two) and all(np.array_equal(one[k], two[k]) for k in one)
    assert json.loads((data_dir / "train" / "features.json").read_text())["utterances"] == 3
    assert sorted(p.name for p in (data_dir / "train" / "feats").iterdir()) == [
        "fbank.0.ark",
        "fbank.1.ark",
        "mel.0.ark",
        "mel.1.ark",
    ]


def test_hifigan_mel_matches_reference_formula():
    import librosa

    cfg = dict(load_config([]).features.mel)
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(22050)).astype(np.float32)
    ours = hifigan_mel(wave, cfg)
    padded = np.pad(wave, (384, 384), mode="reflect")
    spec = np.abs(librosa.stft(padded, n_fft=1024, hop_length=256, win_length=1024, center=False))
    basis = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=8000)
    reference = np.log(np.maximum(basis @ np.sqrt(spec**2 + 1e-9), 1e-5)).T
    np.testing.assert_allclose(ours, reference, atol=1e-3)


def test_fbank_is_deterministic_with_zero_dither():
    cfg = dict(load_config([]).features.fbank)
    wave = np.random.default_rng(1).standard_normal(16000).astype(np.float32) * 0.1
    assert np.array_equal(fbank(wave, cfg), fbank(wave, cfg))


def test_missing_split_is_a_one_line_input_error(tmp_path: Path):
    with pytest.raises(InputFileError, match=r"wav\.scp"):
        compute_split(tmp_path / "nope", dict(load_config([]).features), 1, with_stats=False)


def test_missing_audio_in_a_worker_is_a_one_line_error(data_dir: Path):
    import subprocess
    import sys

    wav = data_dir / "test" / "wav.scp"
    wav.write_text(wav.read_text().replace("a1.flac", "gone.flac"))
    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "features", "--work_dir", str(data_dir.parent), "--nj", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "spk_test1" in proc.stderr and "gone.flac: audio file not found" in proc.stderr
    assert not (data_dir / "test" / "features.json").exists()
    assert not [f for f in (data_dir / "test" / "feats").iterdir() if ".tmp" in f.name]  # no half-written ark


def test_validation_notices_missing_ark_and_frame_mismatch(data_dir: Path):
    compute_features(data_dir, load_config([]).features, num_jobs=1)
    train = data_dir / "train"
    (train / "feats" / "mel.0.ark").unlink()
    first = (train / "utt2num_frames").read_text().splitlines()[0]
    uttid, frames = first.split()
    text = (train / "utt2num_frames").read_text().replace(first, f"{uttid} {int(frames) + 1}")
    (train / "utt2num_frames").write_text(text)
    problems = [str(p) for p in validate_data_dir(train)]
    assert any("mel.scp: points at a missing ark file" in p and "mel.0.ark" in p for p in problems), problems
    assert any(f"{uttid}: frames differ from utt2num_frames" in p for p in problems), problems


FEATURE_OUTPUTS = ("feats.scp", "mel.scp", "feats_shape", "mel_shape", "utt2num_frames", "feats_stats.npz")


def test_failed_rerun_leaves_nothing_that_looks_finished(data_dir: Path, tmp_path: Path):
    from cstoolkit.errors import CstkError

    cfg = load_config([]).features
    compute_features(data_dir, cfg, num_jobs=1)
    train = data_dir / "train"
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    wav = train / "wav.scp"
    wav.write_text(wav.read_text().replace(wav.read_text().splitlines()[2].split()[1], str(corrupt)))
    with pytest.raises(CstkError, match=r"wav\.scp:3: spk_train2: .*corrupt\.wav"):
        compute_features(data_dir, cfg, num_jobs=1)
    assert not [name for name in ("features.json", *FEATURE_OUTPUTS) if (train / name).exists()]
    # what a run killed after writing feats.scp but before features.json leaves behind
    (train / "feats.scp").write_text("spk_train0 /nowhere.ark:12\n")
    problems = [str(p) for p in validate_data_dir(train, check_audio=False)]
    assert any("features.json is missing" in p for p in problems), problems


def test_missing_outputs_are_not_up_to_date(data_dir: Path):
    import shutil

    cfg = load_config([]).features
    compute_features(data_dir, cfg, num_jobs=1)
    shutil.rmtree(data_dir / "train" / "feats")
    (data_dir / "train" / "feats.scp").unlink()
    assert compute_features(data_dir, cfg, num_jobs=1) == ["train"]
    assert validate_data_dir(data_dir / "train") == []


@pytest.mark.parametrize(
    "samples, expected",
    [
        (np.full(300, 0.1, np.float32), r"too short for one fbank frame \(18\.8 ms < 25 ms\)"),
        (np.array([0.1, np.nan] * 8000, np.float32), "NaN or infinite samples"),
    ],
)
def test_unusable_audio_is_an_error_naming_the_wav_scp_line(data_dir: Path, tmp_path: Path, samples, expected):
    from cstoolkit.errors import CstkError

    bad = tmp_path / "bad.wav"
    sf.write(bad, samples, 16000, subtype="FLOAT")
    wav = data_dir / "test" / "wav.scp"
    wav.write_text(wav.read_text().replace(wav.read_text().splitlines()[1].split()[1], str(bad)))
    with pytest.raises(CstkError, match=rf"test/wav\.scp:2: spk_test1: .*bad\.wav: audio .*{expected}"):
        compute_split(data_dir / "test", OmegaConf.to_container(load_config([]).features), 1, with_stats=True)
    assert not (data_dir / "test" / "feats_stats.npz").exists()


def test_empty_wav_scp_is_an_error(data_dir: Path):
    (data_dir / "test" / "wav.scp").write_text("")
    with pytest.raises(InputFileError, match=r"wav\.scp: no utterances"):
        compute_split(data_dir / "test", OmegaConf.to_container(load_config([]).features), 1, with_stats=True)
    assert not (data_dir / "test" / "feats_stats.npz").exists()


@pytest.mark.parametrize(
    "override, expected",
    [
        ("features.fbank.num_mel_bins=abc", "features.fbank.num_mel_bins='abc': expected a whole number >= 1"),
        ("features.fbank.num_mel_bins=-5", "features.fbank.num_mel_bins=-5: expected a whole number >= 1"),
        ("features.mel.n_fft=0", "features.mel.n_fft=0: expected a whole number >= 2"),
        ("features.fbank.sample_rate=0", "features.fbank.sample_rate=0"),
        ("features.fbank.window_type=foo", "one of povey, hamming"),
    ],
)
def test_bad_config_values_are_config_errors(data_dir: Path, override: str, expected: str):
    from cstoolkit.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(expected)):
        compute_features(data_dir, load_config([override]).features, num_jobs=1)
    assert not (data_dir / "train" / "feats").exists()


def test_cli_rejects_bad_nj_and_config_in_one_line(data_dir: Path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "features", "--work_dir", str(data_dir.parent)]
    for extra in (["--nj", "0"], ["--nj", "-1"], ["features.mel.n_fft=0", "--nj", "1"]):
        proc = subprocess.run([*cmd, *extra], capture_output=True, text=True)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("cstk features: error:"), proc.stderr


def test_validation_flags_unusable_cmvn_stats(data_dir: Path):
    compute_features(data_dir, load_config([]).features, num_jobs=1)
    stats = data_dir / "train" / "feats_stats.npz"
    np.savez(stats, count=np.int64(3), sum=np.full(80, np.nan), sum_square=np.ones(80))
    problems = [str(p) for p in validate_data_dir(data_dir / "train")]
    assert any("CMVN statistics are unusable" in p for p in problems), problems
