"""Speaker augmentation: the log-mel frequency warp and its use in the flow model's training step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cstoolkit.tts.flow.augment import mel_centers, warp_log_mel


def test_mel_centres_are_the_peaks_of_the_features_stage_filters() -> None:
    import torchaudio.functional as AF

    centers = mel_centers(80, 0.0, 8000.0)
    bank = AF.melscale_fbanks(513, 0.0, 8000.0, 80, 22050, norm="slaney", mel_scale="slaney")  # (513, 80)
    peaks = torch.linspace(0, 11025, 513)[bank.argmax(0)]
    assert float((peaks - centers).abs().max()) <= 11025 / 512  # within one FFT bin


def test_warping_moves_a_formant_by_the_factor_and_alpha_one_changes_nothing() -> None:
    centers = mel_centers(80, 0.0, 8000.0)
    mel = torch.full((3, 4, 80), -8.0)
    k = 40
    mel[:, :, k] = 0.0  # one peak at centers[k] Hz
    out = warp_log_mel(mel, torch.tensor([1.0, 1.15, 0.85]), centers)
    assert out.shape == mel.shape
    assert torch.allclose(out[0], mel[0], atol=1e-5)
    for row, alpha in ((1, 1.15), (2, 0.85)):
        peak = int(out[row, 0].argmax())
        want = int(np.argmin(np.abs(centers.numpy() - float(centers[k]) * alpha)))
        assert abs(peak - want) <= 1, (alpha, peak, want)
        assert torch.all(out[row] <= 0.0 + 1e-6) and torch.all(out[row] >= -8.0 - 1e-6)  # interpolation only


@pytest.mark.parametrize("prob", [0.0, 1.0])
def test_the_training_step_warps_and_drops_the_speaker_as_configured(tiny_cfg, prob) -> None:
    from cstoolkit.tts.flow.lightning import FlowLightningModule

    tiny_cfg.merge_with({"speaker_augment": {"prob": prob, "alpha": [1.1, 1.1]}, "speaker_drop_prob": 0.0})
    module = FlowLightningModule(tiny_cfg).train()
    mel, speaker = torch.randn(4, 30, 80), torch.rand(4, 256)
    warped, kept = module._augment(mel, speaker)
    if prob == 0.0:
        assert torch.equal(warped, mel) and torch.equal(kept, speaker)
    else:
        assert not torch.allclose(warped, mel) and torch.count_nonzero(kept) == 0  # a warped voice has no d-vector
