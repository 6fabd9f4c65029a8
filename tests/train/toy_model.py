"""A toy non-ASR model trained through the shared trainer and data layer (run as a script by test_any_model.py).

Mel frames (``mel.scp`` + ``mel_shape``) are regressed from noisy copies of themselves by ``model`` (a linear
layer), with a small adversarial term from ``critic``: two named optimizers, hence manual optimization, the way a
GAN vocoder trains. ``python toy_model.py DATA_DIR EXP_DIR [KILL_AT_EPOCH]`` trains into EXP_DIR and, when asked,
kills itself with SIGKILL at the start of that epoch.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import lightning as L
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.config import conf_dir
from cstoolkit.data.loader import Batch, UttDataset, loader_from_config, padded_collate
from cstoolkit.data.table import Field, read_table
from cstoolkit.train.checks import check_model_config
from cstoolkit.train.module import CstkLightningModule, build_module
from cstoolkit.train.output import StepOutput
from cstoolkit.train.trainer import FitResult, fit

DIM = 8
EPOCHS = 3
FIELDS = {"mel": Field("mel.scp", "scp"), "spk": Field("utt2spk_id", "ints")}


def write_toy_dir(data_dir: Path, n: int = 24, seed: int = 0) -> Path:
    """A Kaldi-style mel directory: ``mel.scp`` (ark), ``mel_shape`` and an integer field ``utt2spk_id``."""
    import kaldiio

    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shapes, spks = [], []
    with kaldiio.WriteHelper(f"ark,scp:{data_dir / 'mel.ark'},{data_dir / 'mel.scp'}") as writer:
        for k in range(n):
            utt = f"utt{k:03d}"
            mel = rng.normal(size=(int(rng.integers(5, 30)), DIM)).astype(np.float32)
            writer(utt, mel)
            shapes.append(f"{utt} {mel.shape[0]},{DIM}\n")
            spks.append(f"{utt} {k % 3}\n")
    (data_dir / "mel_shape").write_text("".join(shapes))
    (data_dir / "utt2spk_id").write_text("".join(spks))
    return data_dir


def toy_config() -> DictConfig:
    """The toy model's config group: the shared batch/train/scheduler groups of conf/ plus its own keys."""
    shared = {
        name: OmegaConf.load(conf_dir() / name / f"{file}.yaml")
        for name, file in (("batch", "buckets"), ("train", "default"), ("scheduler", "constant"))
    }
    own = {
        "module": {"_target_": "toy_model.ToyMelModule"},
        "noise": 0.5,
        "optim": {
            "critic": {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.01, "params": "critic"},
            "model": {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 0.01, "params": "model"},
        },
        "batch": {"max_frames": 120, "max_batch_size": 6},
        "train": {"max_epochs": EPOCHS, "keep_nbest": 2, "grad_clip": 1.0},
    }
    return OmegaConf.merge(shared, own)


class ToyMelModule(CstkLightningModule):
    """``model``: (B, T, D) noisy mel -> (B, T, D) mel; ``critic``: (B, T, D) -> (B, T, 1) realness."""

    def __init__(self, cfg: DictConfig) -> None:
        super().__init__(cfg)
        self.noise = float(cfg.noise)
        self.model = torch.nn.Linear(DIM, DIM)
        self.critic = torch.nn.Linear(DIM, 1)

    def compute_losses(self, batch: Batch, optimizer: str | None = None) -> StepOutput:
        mel, mask = batch["mel"], batch["mel_mask"].unsqueeze(-1)  # (B, T, D), (B, T, 1)
        fake = self.model(mel + self.noise * torch.randn_like(mel))
        frames = mask.sum()
        losses = {}
        if optimizer in (None, "critic"):
            real_score, fake_score = self.critic(mel), self.critic(fake.detach())
            losses["critic"] = (((real_score - 1) ** 2 + fake_score**2) * mask).sum() / frames
        if optimizer in (None, "model"):
            adversarial = ((self.critic(fake) - 1) ** 2 * mask).sum() / frames
            losses["mse"] = ((fake - mel) ** 2 * mask).sum() / (frames * DIM)
            losses["adv"] = 0.01 * adversarial
        return StepOutput(losses, {"speakers": float(batch["spk"].unique().numel())})


class KillAt(L.Callback):
    """SIGKILL this process when epoch ``epoch`` starts (its predecessors' checkpoints are on disk)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if trainer.current_epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def train(data_dir: Path, exp_dir: Path, kill_at: int | None = None) -> FitResult:
    cfg = toy_config()
    check_model_config(cfg, "toy")
    trainer_cfg = OmegaConf.merge(OmegaConf.load(conf_dir() / "trainer" / "cpu.yaml"), {"enable_progress_bar": False})
    dataset = UttDataset(read_table(data_dir, FIELDS, ["mel_shape"]), dims={"mel": DIM})
    collate = padded_collate(masks=["mel"])
    train_loader = loader_from_config(dataset, cfg.batch, shuffle=True, seed=0, collate=collate)
    dev_loader = loader_from_config(dataset, cfg.batch, shuffle=False, seed=0, collate=collate)
    module = build_module(cfg, "toy")
    callbacks = [KillAt(kill_at)] if kill_at is not None else []
    return fit(module, train_loader, dev_loader, exp_dir, cfg.train, trainer_cfg, seed=0, extra_callbacks=callbacks)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))  # the module target "toy_model.ToyMelModule"
    train(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
