"""The flow-matching training stage: a tiny model trains on a synthetic data directory, is killed, resumes without
redoing an epoch, and leaves a self-contained model directory; bad inputs are refused before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1]))
from omegaconf import OmegaConf
from tts_helpers import MEL_RATE, TINY_FLOW, TOKEN_RATE, VOCAB, flow_config, write_fake_tokenizer, write_flow_dir

from cstoolkit.errors import InputFileError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CSTK = Path(sys.executable).parent / "cstk"
EPOCHS = 3


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)


def _all_mel_values(data: Path) -> np.ndarray:
    return np.concatenate([m.ravel() for _, m in kaldiio.load_scp_sequential(str(data / "mel.scp"))]).astype(np.float64)


def test_a_tiny_flow_model_trains_is_killed_resumes_and_leaves_a_model_directory(tmp_path) -> None:
    from cstoolkit.data.loader import UttDataset, loader_from_config, padded_collate
    from cstoolkit.tts.flow.data import flow_table
    from cstoolkit.tts.flow.model import build_flow_model

    data = write_flow_dir(tmp_path / "data")
    tok = write_fake_tokenizer(tmp_path / "tok")
    exp = tmp_path / "exp"
    overrides = [*TINY_FLOW, f"flow.train.max_epochs={EPOCHS}"]
    killed = _run([sys.executable, str(HERE / "flow_train_run.py"), "1", str(data), str(tok), str(exp), *overrides])
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (exp / "checkpoints" / "epoch000.ckpt").is_file()
    assert not (exp / "model.pth").exists() and not (exp / "train_summary.json").exists()

    done = _run(
        [
            str(CSTK),
            "train-flow",
            "--train-dir",
            str(data),
            "--dev-dir",
            str(data),
            "--tokenizer-dir",
            str(tok),
            "--exp-dir",
            str(exp),
            *overrides,
        ]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((exp / "train_summary.json").read_text())
    assert summary["resumed_from"] and Path(summary["resumed_from"]).parent == exp / "checkpoints"
    cfg = flow_config(f"flow.train.max_epochs={EPOCHS}")
    dims = {"mel": 80, "utt_embed": 256}
    batches = len(loader_from_config(UttDataset(flow_table(data), dims), cfg.flow.batch, True, 0, padded_collate()))
    assert batches >= 3  # flow.batch.max_frames makes several batches an epoch
    assert summary["epochs"] == EPOCHS and summary["global_step"] == EPOCHS * batches  # no epoch done twice
    history = [json.loads(line) for line in (exp / "history.jsonl").read_text().splitlines()]
    assert sorted(row["epoch"] for row in history if "val/loss" in row) == list(range(EPOCHS))
    assert all(np.isfinite(row["val/loss"]) for row in history if "val/loss" in row)

    saved = OmegaConf.load(exp / "config.yaml")
    model_cfg = saved.flow.model
    assert model_cfg.encoder.vocab_size == VOCAB and model_cfg.token_rate == pytest.approx(TOKEN_RATE)
    values = _all_mel_values(data)
    assert np.isfinite([model_cfg.mel_mean, model_cfg.mel_std]).all()
    assert model_cfg.mel_mean == pytest.approx(values.mean(), rel=1e-3)
    assert model_cfg.mel_std == pytest.approx(values.std(), rel=1e-3)
    assert model_cfg.encoder.d_model == 32 and list(model_cfg.estimator.channels) == [32, 32]  # the overrides

    info = json.loads((exp / "flow.json").read_text())
    assert info["tokenizer"] == str(tok.resolve()) and info["codebook_size"] == VOCAB
    assert info["token_rate_hz"] == pytest.approx(TOKEN_RATE) and info["mel_rate_hz"] == pytest.approx(MEL_RATE)
    assert info["mel_mean"] == pytest.approx(model_cfg.mel_mean) and info["mel_std"] == pytest.approx(model_cfg.mel_std)
    assert info["train_utterances"] == 12 and info["train_speakers"] == ["spkA", "spkB", "spkC"]

    model = build_flow_model(saved.flow)  # model.pth is exactly the FlowModel of config.yaml
    model.load_state_dict(torch.load(exp / "model.pth", weights_only=True))
    assert info["parameters"]["total"] == model.parameter_counts()["total"]
    assert float(model.mel_mean) == pytest.approx(model_cfg.mel_mean, rel=1e-6)
    assert float(model.mel_std) == pytest.approx(model_cfg.mel_std, rel=1e-6)


def _copy(src: Path, dst: Path) -> Path:
    """A copy of a data directory whose scp files still point into ``src`` (its arks are read, never written)."""
    shutil.copytree(src, dst)
    return dst


def _set_token(data: Path, utt: str, token: int) -> None:
    path = data / "speech_tokens"
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.split()[0] == utt:
            ids = line.split()[1:]
            lines[i] = " ".join([utt, *ids[:3], str(token), *ids[4:]])
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_flow_dir(tmp_path_factory.mktemp("bad") / "data")


@pytest.mark.parametrize("token", [VOCAB, -1])
@pytest.mark.parametrize("split", ["train", "dev"])
def test_a_token_id_outside_the_codebook_names_the_file_and_utterance(data, tmp_path, token, split) -> None:
    from cstoolkit.tts.flow.train import train_flow

    bad = _copy(data, tmp_path / "bad")
    _set_token(bad, "spkB_u03", token)
    exp = tmp_path / "exp"
    train, dev = (bad, data) if split == "train" else (data, bad)
    with pytest.raises(InputFileError) as err:
        train_flow(train, dev, write_fake_tokenizer(tmp_path / "tok"), exp, flow_config())
    assert err.value.path == str(bad / "speech_tokens")
    assert err.value.message.startswith(f"spkB_u03: token id {token} outside")
    assert f"[0, {VOCAB})" in str(err.value) and "\n" not in str(err.value)
    assert not exp.exists()  # refused before anything is written


def test_missing_speaker_embeddings_say_to_run_embed_speakers(data, tmp_path) -> None:
    from cstoolkit.tts.flow.train import train_flow

    bad = _copy(data, tmp_path / "bad")
    (bad / "utt_embed.scp").unlink()
    with pytest.raises(InputFileError, match="run cstk embed-speakers") as err:
        train_flow(bad, None, write_fake_tokenizer(tmp_path / "tok"), tmp_path / "exp", flow_config())
    assert err.value.path == str(bad / "utt_embed.scp")
    assert not (tmp_path / "exp").exists()


def test_a_directory_that_is_not_a_tokenizer_is_refused(data, tmp_path) -> None:
    from cstoolkit.tts.flow.train import train_flow

    (tmp_path / "tok").mkdir()
    with pytest.raises(InputFileError, match="run cstk train-tokenizer") as err:
        train_flow(data, None, tmp_path / "tok", tmp_path / "exp", flow_config())
    assert err.value.path == str(tmp_path / "tok" / "tokenizer.json")
    write_fake_tokenizer(tmp_path / "tok", vocab=10)  # the data's ids go up to 39
    with pytest.raises(InputFileError, match=r"outside the tokenizer's codebook \[0, 10\)"):
        train_flow(data, None, tmp_path / "tok", tmp_path / "exp", flow_config())
    assert not (tmp_path / "exp").exists()


def test_a_seeded_tiny_run_trains_to_the_recorded_weights(flow_exp) -> None:
    from seeded_weights import check_weights

    check_weights("flow", flow_exp / "model.pth")
