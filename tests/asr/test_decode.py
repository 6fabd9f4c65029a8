"""Training a tiny model on the toy corpus, decoding greedy and beam, transcribe() on any sample rate."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from cstoolkit.asr.decode import JointBeamSearch, ctc_greedy
from cstoolkit.asr.inference import decode_dir, load_asr, transcribe
from cstoolkit.data.kaldi_dir import read_kaldi_map
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.train.plot import read_history


def test_training_lowers_the_dev_loss_and_leaves_a_model_dir(trained) -> None:
    vals = [r["val/loss"] for r in read_history(trained / "history.jsonl") if "val/loss" in r]
    assert len(vals) == 3 and vals[-1] < vals[0]
    for name in ("model.pth", "config.yaml", "units/tokens.txt", "training_curve.png", "train_summary.json"):
        assert (trained / name).is_file(), name
    summary = json.loads((trained / "train_summary.json").read_text())
    assert summary["epochs"] == 3 and len(summary["averaged_from"]) == 2  # keep_nbest of asr=tiny
    assert list((trained / "logs" / "tensorboard").rglob("events.out.tfevents*"))
    assert list((trained / "logs" / "csv").rglob("metrics.csv"))


def test_greedy_is_batch_independent(trained, toy) -> None:
    """Padding other utterances into the batch must not change a hypothesis."""
    from cstoolkit.asr.data import asr_table
    from cstoolkit.data.matrices import load_features

    bundle = load_asr(trained, "cpu")
    feats = [torch.from_numpy(load_features(f)) for f in asr_table(toy / "dev").columns["speech"][:3]]
    lengths = torch.tensor([f.shape[0] for f in feats])
    with torch.inference_mode():
        batched = ctc_greedy(bundle.model, torch.nn.utils.rnn.pad_sequence(feats, batch_first=True), lengths)
        single = [ctc_greedy(bundle.model, f[None], torch.tensor([f.shape[0]]))[0] for f in feats]
    assert batched == single


def test_decoding_leaves_the_features_untouched(trained, toy) -> None:
    """ESPnet's GlobalMVN normalises in place; decoding twice must give the same answer and keep the input."""
    from cstoolkit.asr.data import asr_table
    from cstoolkit.asr.decode import decode_batch
    from cstoolkit.data.matrices import load_features

    bundle = load_asr(trained, "cpu")
    feats = torch.from_numpy(load_features(asr_table(toy / "dev").columns["speech"][0]))[None]
    before = feats.clone()
    lengths = torch.tensor([feats.shape[1]])
    beam = JointBeamSearch(bundle.model, bundle.tokenizer.token_list, bundle.cfg.asr.decode)
    with torch.inference_mode():
        first = [ctc_greedy(bundle.model, feats, lengths), decode_batch(bundle.model, feats, lengths, "beam", beam)]
        second = [ctc_greedy(bundle.model, feats, lengths), decode_batch(bundle.model, feats, lengths, "beam", beam)]
    assert torch.equal(feats, before) and first == second


def test_dev_mer_of_validation_matches_decoding(toy, cfg, tmp_path) -> None:
    """The greedy dev MER logged by validation equals the MER of decoding the dev set with the same weights."""
    import lightning as L

    from cstoolkit.asr.data import asr_train_set, collate_asr
    from cstoolkit.asr.inference import AsrBundle
    from cstoolkit.asr.lightning import AsrLightningModule
    from cstoolkit.data.loader import loader_from_config
    from cstoolkit.metrics.align import EditCounts, align
    from cstoolkit.text import TextTokenizer, normalize, split_units

    torch.manual_seed(3)  # an untrained model emits plenty of (wrong) tokens: a MER strictly between 0 and 2
    tok = TextTokenizer(toy / "units")
    dev, texts = asr_train_set(toy / "dev", tok.encode, 3000, 300, 80)
    module = AsrLightningModule(cfg.asr, tok.token_list, toy / "train" / "feats_stats.npz", tok.decode, texts)
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    loader = loader_from_config(dev, cfg.asr.batch, False, 0, collate_asr)
    logged = trainer.validate(module, loader, verbose=False)[0]["val/mer_greedy"]
    decode_dir(
        AsrBundle(module.model.eval(), tok, cfg, torch.device("cpu")), toy / "dev", tmp_path, "greedy", cfg.asr.decode
    )
    refs, hyps = read_kaldi_map(toy / "dev" / "text"), read_kaldi_map(tmp_path / "hyp.txt")
    total = EditCounts()
    for utt, ref in refs.items():
        total.add(align(split_units(normalize(ref)), split_units(normalize(hyps[utt]))).counts)
    assert any(hyps.values())
    assert logged == pytest.approx(total.error_rate)


@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_decode_dir_writes_every_utterance_and_rtf(trained, toy, cfg, tmp_path, method) -> None:
    bundle = load_asr(trained, "cpu")
    stats = decode_dir(bundle, toy / "dev", tmp_path / method, method, cfg.asr.decode)
    hyps = read_kaldi_map(tmp_path / method / "hyp.txt")
    assert set(hyps) == set(read_kaldi_map(toy / "dev" / "text"))
    info = json.loads((tmp_path / method / "decode.json").read_text())
    assert info["method"] == method and info["rtf"] > 0 and stats.audio_seconds == pytest.approx(info["audio_seconds"])


def test_beam_search_returns_token_ids_without_sos_eos(trained, toy) -> None:
    from cstoolkit.asr.data import asr_table
    from cstoolkit.data.matrices import load_features

    bundle = load_asr(trained, "cpu")
    feats = torch.from_numpy(load_features(asr_table(toy / "dev").columns["speech"][0]))
    beam = JointBeamSearch(bundle.model, bundle.tokenizer.token_list, bundle.cfg.asr.decode)
    with torch.inference_mode():
        enc, _ = bundle.model.encode(feats[None], torch.tensor([feats.shape[0]]))
        ids = beam(enc[0])
    sos = len(bundle.tokenizer) - 1
    assert all(0 < i < sos for i in ids)


def test_corrupt_feature_gets_empty_hypothesis_and_is_reported(trained, toy, cfg, tmp_path) -> None:
    data = tmp_path / "dev"
    shutil.copytree(toy / "dev", data)
    scp = read_kaldi_map(data / "feats.scp")
    bad_utt = sorted(scp)[0]
    (tmp_path / "broken.ark").write_bytes(b"\x00garbage")
    scp[bad_utt] = f"{tmp_path / 'broken.ark'}:1"
    (data / "feats.scp").write_text("".join(f"{k} {v}\n" for k, v in sorted(scp.items())))
    decode_dir(load_asr(trained, "cpu"), data, tmp_path / "out", "greedy", cfg.asr.decode)
    assert read_kaldi_map(tmp_path / "out" / "hyp.txt")[bad_utt] == ""
    assert bad_utt in json.loads((tmp_path / "out" / "decode.json").read_text())["skipped"]


def test_unknown_method_is_a_config_error(trained, toy, cfg, tmp_path) -> None:
    with pytest.raises(ConfigError, match="method"):
        decode_dir(load_asr(trained, "cpu"), toy / "dev", tmp_path, "viterbi", cfg.asr.decode)


def test_load_asr_on_a_non_model_dir(tmp_path) -> None:
    with pytest.raises(InputFileError, match="train-asr"):
        load_asr(tmp_path)


def test_transcribe_matches_decoding_and_resamples(trained, toy, tmp_path) -> None:
    """A 16 kHz file gives the data-directory hypothesis; 8 kHz and 44.1 kHz stereo copies still transcribe."""
    import librosa

    utt, wav = sorted(read_kaldi_map(toy / "dev" / "wav.scp").items())[0]
    bundle = load_asr(trained, "cpu")
    decode_dir(bundle, toy / "dev", tmp_path / "ref", "greedy", bundle.cfg.asr.decode)
    expected = read_kaldi_map(tmp_path / "ref" / "hyp.txt")[utt]
    audio, sr = sf.read(wav, dtype="float32")
    for rate, channels in ((8000, 1), (44100, 2)):
        y = librosa.resample(audio, orig_sr=sr, target_sr=rate)
        sf.write(tmp_path / f"{rate}.wav", np.stack([y] * channels, axis=1) if channels > 1 else y, rate)
    out = transcribe([wav, tmp_path / "8000.wav", tmp_path / "44100.wav"], bundle, method="greedy")
    assert out[0] == expected
    assert len(out) == 3 and all(isinstance(t, str) for t in out)
    assert transcribe(wav, trained, method="beam", device="cpu")[0] == transcribe(wav, bundle, method="beam")[0]


def test_transcribe_missing_file_is_a_typed_error(trained, tmp_path) -> None:
    from cstoolkit.errors import CstkError

    with pytest.raises((CstkError, FileNotFoundError)):
        transcribe([tmp_path / "missing.wav"], trained)


def test_validation_decodes_the_raw_features(toy, cfg, monkeypatch) -> None:
    """The greedy dev MER must see the loaded features, not the copy the loss pass normalised in place."""
    import cstoolkit.asr.lightning as lightning_mod
    from cstoolkit.asr.data import asr_train_set, collate_asr
    from cstoolkit.asr.lightning import AsrLightningModule
    from cstoolkit.text import TextTokenizer

    tok = TextTokenizer(toy / "units")
    dev, texts = asr_train_set(toy / "dev", tok.encode, 3000, 300, 80)
    module = AsrLightningModule(cfg.asr, tok.token_list, toy / "train" / "feats_stats.npz", tok.decode, texts).eval()
    monkeypatch.setattr(module, "log", lambda *a, **k: None)
    batch = collate_asr([dev[i] for i in range(3)])
    raw = batch["speech"].clone()
    seen = []
    real = lightning_mod.ctc_greedy
    monkeypatch.setattr(lightning_mod, "ctc_greedy", lambda m, x, n: seen.append(x.clone()) or real(m, x, n))
    with torch.no_grad():
        module.validation_step(batch, 0)
    assert len(seen) == 1 and torch.equal(seen[0], raw)
