"""The CS-ASR input (``features.asr_input``): fbank or Whisper encoder states, as the features stage writes them."""

from __future__ import annotations

import math
import re
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf
from omegaconf import OmegaConf

from cstoolkit.config import load_config
from cstoolkit.data.asr_input import asr_features, asr_frame_seconds, asr_input_kind
from cstoolkit.data.features import compute_features
from cstoolkit.data.kaldi_dir import Utterance, write_data_dir
from cstoolkit.data.validate import validate_data_dir
from cstoolkit.data.whisper_encoder import average_pool
from cstoolkit.errors import ConfigError
from tests.data.data_helpers import tone


@pytest.fixture(scope="module")
def whisper_cfg(tmp_path_factory):
    """The composed config with ``features.asr_input=whisper`` and a private cache for the joined weights."""
    cache = tmp_path_factory.mktemp("whisper") / "base"
    return load_config(["features.asr_input=whisper", f"whisper.cache_dir={cache}"])


def whisper_frames(samples: int, pool: int = 2) -> int:
    """Frames of Whisper encoder states: 10 ms log-mel frames, the encoder's stride 2, then ``pool``."""
    return math.ceil(math.ceil((samples // 160) / 2) / pool)


def test_average_pool_means_consecutive_frames_and_keeps_a_short_tail():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.testing.assert_allclose(average_pool(x, 2), [[1, 2], [5, 6], [8, 9]])
    np.testing.assert_allclose(average_pool(x, 5), [[4, 5]])
    assert average_pool(x, 1) is x


def test_frame_seconds_follow_the_input_kind():
    assert asr_frame_seconds(load_config([]).features) == pytest.approx(0.010)
    assert asr_frame_seconds(load_config(["features.asr_input=whisper"]).features) == pytest.approx(0.040)
    pool1 = load_config(["features.asr_input=whisper", "features.whisper.pool=1"]).features
    assert asr_frame_seconds(pool1) == pytest.approx(0.020)
    old = OmegaConf.to_container(load_config([]).features)
    del old["asr_input"]  # a model directory written before the setting existed
    assert asr_input_kind(old) == "fbank"


def test_whisper_states_have_the_documented_shape_and_depend_on_the_utterance_alone(whisper_cfg):
    feats_cfg = OmegaConf.to_container(whisper_cfg.features, resolve=True)
    a, b = tone(1.0, 16000, 180.0, seed=1), tone(2.37, 16000, 260.0, seed=2)
    fa = asr_features(a, feats_cfg)
    fb = asr_features(b, feats_cfg)
    assert fa.shape == (whisper_frames(a.size), 512) and fa.dtype == np.float32
    assert fb.shape == (whisper_frames(b.size), 512)
    assert np.isfinite(fa).all() and np.isfinite(fb).all()
    np.testing.assert_allclose(asr_features(a, feats_cfg), fa, atol=1e-4)  # after another utterance: the same
    assert float(np.abs(fa[:20].mean(0) - fb[:20].mean(0)).max()) > 0.05  # different sounds, different states


def test_an_utterance_longer_than_30_s_is_encoded_in_pieces(whisper_cfg):
    feats_cfg = OmegaConf.to_container(whisper_cfg.features, resolve=True)
    samples = tone(31.0, 16000, 200.0, seed=3)
    out = asr_features(samples, feats_cfg)
    assert out.shape == (775, 512)  # 3100 mel frames = 3000 + 100 -> 1500 + 50 encoder frames -> pooled by 2
    assert np.isfinite(out).all()


def test_features_stage_writes_whisper_states_with_their_stats(whisper_cfg, tmp_path: Path, flac_files):
    utts = [
        Utterance(f"spk_train{i}", "spk", str(p.resolve()), "hello world", "es-en", sf.info(p).duration)
        for i, p in enumerate(flac_files)
    ]
    data = tmp_path / "data"
    write_data_dir(data / "train", utts)
    assert compute_features(data, whisper_cfg.features, num_jobs=2) == ["train"]
    train = data / "train"
    feats = dict(kaldiio.load_scp(str(train / "feats.scp")).items())
    assert set(feats) == {u.id for u in utts}
    for utt in utts:
        assert feats[utt.id].shape == (whisper_frames(sf.info(utt.audio).frames), 512)
    shapes = dict(line.split() for line in (train / "feats_shape").read_text().splitlines())
    assert all(shapes[u] == f"{feats[u].shape[0]},512" for u in feats)
    stats = np.load(train / "feats_stats.npz")
    stacked = np.concatenate(list(feats.values())).astype(np.float64)
    assert int(stats["count"]) == stacked.shape[0]
    np.testing.assert_allclose(stats["sum"], stacked.sum(0), rtol=1e-4, atol=1e-3)
    assert validate_data_dir(train) == []
    # the fbank settings are another fingerprint: switching back recomputes 80-dim fbank
    assert compute_features(data, load_config([]).features, num_jobs=1) == ["train"]
    assert next(iter(kaldiio.load_scp(str(train / "feats.scp")).values())).shape[1] == 80


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (["features.asr_input=mfcc"], "features.asr_input='mfcc': expected one of fbank, whisper"),
        (["features.asr_input=whisper", "features.whisper.pool=0"], "features.whisper.pool=0"),
        (["features.asr_input=whisper", "features.fbank.sample_rate=8000"], "reads audio at 16000 Hz"),
    ],
)
def test_bad_asr_input_settings_are_config_errors(tmp_path: Path, flac_files, overrides, expected):
    utts = [Utterance("spk-u1", "spk", str(flac_files[0].resolve()), "hello", "es-en", 1.0)]
    write_data_dir(tmp_path / "data" / "train", utts)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        compute_features(tmp_path / "data", load_config(overrides).features, num_jobs=1)
    assert not (tmp_path / "data" / "train" / "feats").exists()
