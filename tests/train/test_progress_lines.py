"""Lightning training progress as plain lines when stderr is not a terminal."""

from __future__ import annotations

import lightning as L
import torch

from cstoolkit.train.progress import LineProgressBar, progress_callback


class Toy(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_training_writes_lines_not_redrawn_bars(capsys, tmp_path) -> None:
    data = torch.utils.data.TensorDataset(torch.randn(16, 3), torch.randn(16, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    trainer = L.Trainer(
        max_epochs=2,
        callbacks=[LineProgressBar(interval=0)],
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        num_sanity_val_steps=0,
    )
    trainer.fit(Toy(), loader, loader)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.startswith("epoch ")]
    assert any(line.startswith("epoch 1/2: 2/4 batches (50%)") and "train/loss=" in line for line in lines), err
    done = [line for line in lines if " done in " in line]
    assert len(done) == 2 and done[-1].startswith("epoch 2/2 done in") and "val/loss=" in done[-1], err


def test_progress_callback_is_lines_off_a_terminal() -> None:
    assert isinstance(progress_callback(10), LineProgressBar)  # pytest captures stderr: not a terminal
