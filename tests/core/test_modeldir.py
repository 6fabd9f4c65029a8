"""The model-directory reader: one-line errors for broken directories, and directories trained before the package
was reorganised (tests/fixtures/old_layout: a flow model and a T2S model written by that code) loading as they are."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from cstoolkit.core.modeldir import (
    CONFIG_FILE,
    LEGACY_TARGETS,
    WEIGHTS_FILE,
    ModelKind,
    read_model_dir,
    upgrade_legacy_config,
)
from cstoolkit.errors import InputFileError

OLD = Path(__file__).resolve().parents[1] / "fixtures" / "old_layout"
KIND = ModelKind("toy model", "cstk train-toy", files=("units/tokens.txt",), keys=("toy.model",), info="toy.json")


def toy_dir(tmp_path: Path) -> Path:
    d = tmp_path / "exp"
    (d / "units").mkdir(parents=True)
    (d / "units" / "tokens.txt").write_text("a\n")
    (d / CONFIG_FILE).write_text("toy:\n  model:\n    size: 3\n")
    (d / WEIGHTS_FILE).write_bytes(b"")
    (d / "toy.json").write_text('{"rate": 25}')
    return d


def test_a_complete_directory_reads_its_config_and_info(tmp_path) -> None:
    model = read_model_dir(toy_dir(tmp_path), KIND)
    assert model.cfg.toy.model.size == 3 and model.info == {"rate": 25}
    assert model.weights == tmp_path / "exp" / WEIGHTS_FILE


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: shutil.rmtree(d), "exp: not a trained toy model directory (run cstk train-toy)"),
        (lambda d: (d / WEIGHTS_FILE).unlink(), "model.pth: missing: not a trained toy model directory"),
        (lambda d: (d / "units" / "tokens.txt").unlink(), "tokens.txt: missing"),
        (lambda d: (d / CONFIG_FILE).write_text("toy: [unclosed\n"), "config.yaml: not a readable YAML config"),
        (lambda d: (d / CONFIG_FILE).write_text("- a list\n"), "config.yaml: not a YAML mapping"),
        (lambda d: (d / CONFIG_FILE).write_text("toy: {}\n"), "config.yaml: has no toy.model"),
        (lambda d: (d / "toy.json").write_text("{not json"), "toy.json: not readable"),
        (lambda d: (d / "toy.json").write_text("[1]"), "toy.json: not a JSON object"),
    ],
)
def test_a_broken_directory_is_one_line_naming_the_file(tmp_path, breakage, message) -> None:
    d = toy_dir(tmp_path)
    breakage(d)
    with pytest.raises(InputFileError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        read_model_dir(d, KIND)
    assert "\n" not in str(err.value)


def test_a_config_of_this_release_is_not_changed() -> None:
    from cstoolkit.config import load_config

    cfg = OmegaConf.create(OmegaConf.to_container(load_config([]), resolve=True))
    assert OmegaConf.to_container(upgrade_legacy_config(cfg)) == OmegaConf.to_container(cfg)


def test_old_names_are_mapped_to_todays() -> None:
    old = OmegaConf.load(OLD / "flow" / CONFIG_FILE)
    assert "tts" in old and "flow" not in old
    new = upgrade_legacy_config(old)
    assert "tts" not in new and new.flow.model._target_ == "cstoolkit.tts.flow.model.FlowModel"
    text = OmegaConf.to_yaml(upgrade_legacy_config(OmegaConf.load(OLD / "tts" / CONFIG_FILE)))
    assert not any(old_target in text for old_target in LEGACY_TARGETS)


def test_a_flow_model_trained_before_the_move_loads_and_generates() -> None:
    import torch

    from cstoolkit.core.modeldir import load_weights
    from cstoolkit.tts.flow.checks import read_flow_config
    from cstoolkit.tts.flow.model import build_flow_model

    cfg, info = read_flow_config(OLD / "flow")
    model = build_flow_model(cfg.flow)
    load_weights(model, OLD / "flow" / WEIGHTS_FILE)
    tokens = torch.randint(0, info["codebook_size"], (1, 12))
    speaker = torch.rand(1, int(cfg.flow.model.speaker_dim))
    mel = model.eval().generate(tokens, torch.tensor([12]), None, None, speaker, steps=2)
    assert mel.shape[:2] == (1, int(cfg.flow.model.n_mels)) and torch.isfinite(mel).all()


def test_a_t2s_model_trained_before_the_move_loads_and_speaks_tokens() -> None:
    from cstoolkit.tts.t2s.infer import TextToSpeechTokens

    t2s = TextToSpeechTokens.load(OLD / "tts")
    speaker = [[0.0625] * t2s.model.speaker_dim]
    (out,) = t2s.synthesize(["我去 shopping"], ["zh-en"], speakers=speaker)
    assert out.tokens and all(0 <= t < t2s.model.codebook_size for t in out.tokens)
