"""The training stage: a self-contained tokenizer directory, started from the CS-ASR, with the commitment loss."""

from __future__ import annotations

import json

import pytest
import torch

from cstoolkit.errors import InputFileError
from cstoolkit.train.plot import read_history


def test_tokenizer_dir_and_history(tok_dir, asr_dir) -> None:
    for name in ("model.pth", "config.yaml", "units/tokens.txt", "tokenizer.json", "training_curve.png"):
        assert (tok_dir / name).is_file(), name
    info = json.loads((tok_dir / "tokenizer.json").read_text())
    assert info["codebook_size"] == 32 and info["quantize_after"] == 1 and info["encoder_blocks"] == 2
    assert info["token_rate_hz"] == pytest.approx(25.0)  # conv2d (x4) on 10 ms frames
    assert info["initialised_from"] == str(asr_dir.resolve())
    rows = read_history(tok_dir / "history.jsonl")
    val = [r for r in rows if "val/loss" in r]  # named losses asr + commit, the code stats, the greedy dev MER
    assert len(val) == 2 and all(k in val[-1] for k in ("val/asr", "val/commit", "val/codes_used", "val/mer_greedy"))


def test_starts_from_the_asr_weights(tok_dir, asr_dir) -> None:
    """Block 2 (after the quantizer) changed by training but started from the CS-ASR: the tokenizer's state has every
    ASR tensor, of the same shapes."""
    asr = torch.load(asr_dir / "model.pth", weights_only=True)
    tok = torch.load(tok_dir / "model.pth", weights_only=True)
    assert set(asr) <= set(tok) and all(tok[k].shape == v.shape for k, v in asr.items())
    assert any(k.startswith("quantizer.") for k in tok)


def test_from_scratch_needs_units(toy, tcfg, tmp_path) -> None:
    from cstoolkit.tokenizer.train import train_tokenizer

    with pytest.raises(InputFileError, match="units-dir"):
        train_tokenizer(toy / "train", toy / "dev", None, tmp_path / "t", tcfg, asr_dir=None)


def test_asr_of_another_architecture_is_refused(toy, tcfg, asr_dir, tmp_path) -> None:
    from cstoolkit.config import load_config
    from cstoolkit.text.tokens import TextTokenizer
    from cstoolkit.tokenizer.model import build_tokenizer_model, module_config
    from cstoolkit.tokenizer.train import load_asr_weights

    other = load_config(["asr=tiny", "asr.encoder.output_size=16", "tokenizer=tiny"])
    model, _ = build_tokenizer_model(module_config(other.asr, other.tokenizer), TextTokenizer(toy / "units").token_list)
    with pytest.raises(InputFileError, match="does not fit"):
        load_asr_weights(model, asr_dir)


def test_a_seeded_tiny_run_trains_to_the_recorded_weights(tok_dir) -> None:
    from seeded_weights import check_weights

    check_weights("tokenizer", tok_dir / "model.pth")
