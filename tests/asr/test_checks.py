"""Checks made before any model loads: config values, devices, model folders, output folders (no training here)."""

from __future__ import annotations

import re

import pytest
from omegaconf import OmegaConf

from cstoolkit.asr import checks
from cstoolkit.config import load_config
from cstoolkit.errors import ConfigError, InputFileError

TINY = ["asr=tiny"]


@pytest.mark.parametrize(
    "override, needle",
    [
        ("asr.train.max_epochs=-1", "asr.train.max_epochs=-1"),  # Lightning: -1 trains forever
        ("asr.train.max_epochs=0", "asr.train.max_epochs=0"),
        ("asr.train.max_epochs=abc", "asr.train.max_epochs='abc'"),
        ("trainer.num_threads=0", "trainer.num_threads=0"),
        ("asr.decode.beam_size=0", "asr.decode.beam_size=0"),
        ("asr.decode.batch_frames=0", "asr.decode.batch_frames=0"),
        ("asr.batch.max_frames=0", "asr.batch.max_frames=0"),
        ("asr.decode.ctc_weight=1.5", "asr.decode.ctc_weight=1.5"),
    ],
)
def test_bad_training_values_are_refused_by_key(override, needle) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        checks.check_train_config(load_config([*TINY, override]))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_shipped_configs_pass() -> None:
    for group in (["asr=tiny"], ["asr=cpu_small"], ["asr=gpu_base"]):
        checks.check_train_config(load_config(group))
    checks.check_whisper_config(load_config([]).whisper)


@pytest.mark.parametrize(
    "override, needle",
    [
        ("whisper.compute_type=bogus", "whisper.compute_type='bogus'"),
        ("whisper.language=xx", "whisper.language='xx'"),
        ("whisper.device=tpu", "whisper.device='tpu'"),
        ("whisper.beam_size=0", "whisper.beam_size=0"),
    ],
)
def test_bad_whisper_values(override, needle) -> None:
    with pytest.raises(ConfigError) as err:
        checks.check_whisper_config(load_config([override]).whisper)
    assert needle in str(err.value)


def test_whisper_cuda_without_gpu(monkeypatch) -> None:
    monkeypatch.setattr(checks, "_ctranslate2_cuda_count", lambda: 0)
    with pytest.raises(ConfigError, match=re.escape("whisper.device=cuda: no CUDA GPU")):
        checks.check_whisper_config(load_config(["whisper.device=cuda"]).whisper)


def test_decode_config_is_the_models_with_explicit_overrides() -> None:
    model_cfg = load_config(["asr=tiny"])  # beam 3
    composed = load_config(["asr.decode.penalty=0.5"])  # cpu_small: beam 8
    decode = checks.decode_config(model_cfg, composed, ["asr.decode.penalty=0.5", "asr=cpu_small"])
    assert decode.beam_size == 3 and decode.penalty == 0.5
    with pytest.raises(ConfigError, match=re.escape("asr.decode.beam_size=0")):
        checks.decode_config(model_cfg, load_config(["asr.decode.beam_size=0"]), ["asr.decode.beam_size=0"])


def test_read_model_config_refuses_broken_folders(tmp_path) -> None:
    with pytest.raises(InputFileError, match="train-asr"):
        checks.read_model_config(tmp_path / "nonexistent")
    (tmp_path / "units").mkdir()
    for name in ("model.pth", "units/tokens.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "config.yaml").write_text("asr: [unclosed\n")
    with pytest.raises(InputFileError, match=re.escape("config.yaml: not a readable YAML")):
        checks.read_model_config(tmp_path)
    (tmp_path / "config.yaml").write_text("metric: {lam: 1}\n")
    with pytest.raises(InputFileError, match=r"config\.yaml: has no asr: not a trained model directory"):
        checks.read_model_config(tmp_path)
    OmegaConf.save(load_config(TINY), tmp_path / "config.yaml")
    assert checks.read_model_config(tmp_path).asr.name == "tiny"


def test_prepare_out_dir_refuses_a_file_and_removes_old_results(tmp_path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputFileError, match="not a folder"):
        checks.prepare_out_dir(tmp_path / "afile")
    with pytest.raises(InputFileError, match="parent is a file"):
        checks.prepare_out_dir(tmp_path / "afile" / "sub")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("hyp.txt", "saer.json", "report.html", "keep.txt"):
        (out / name).write_text("old")
    checks.prepare_out_dir(out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
