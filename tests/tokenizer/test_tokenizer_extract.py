"""Extraction: batched tokens equal one-at-a-time tokens, counts follow the duration, data directories, processes."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from cstoolkit.errors import InputFileError


@pytest.fixture(scope="module")
def tok(tok_dir):
    from cstoolkit.tokenizer.extract import SpeechTokenizer

    return SpeechTokenizer.load(tok_dir, "cpu")


def _feats(data_dir):
    from cstoolkit.asr.data import asr_table
    from cstoolkit.data.matrices import load_features

    table = asr_table(data_dir, with_text=False)
    return table.utt_ids, [torch.from_numpy(load_features(s)) for s in table.columns["speech"]]


def test_batched_tokens_equal_one_at_a_time(tok, toy) -> None:
    """Every utterance of train and dev, in duration-bucketed batches and in one padded batch, gives exactly the
    tokens it gives alone."""
    feats = _feats(toy / "train")[1] + _feats(toy / "dev")[1]
    alone = [tok.encode_features([f])[0] for f in feats]
    assert tok.encode_features(feats) == alone
    lengths = torch.tensor([f.shape[0] for f in feats])
    padded, token_lengths = tok.quantize(torch.nn.utils.rnn.pad_sequence(feats, batch_first=True), lengths)
    assert [padded[b, : int(n)].tolist() for b, n in enumerate(token_lengths)] == alone
    assert all((padded[b, int(n) :] == -1).all() for b, n in enumerate(token_lengths))


def test_near_ties_are_re_encoded_alone(tok, toy) -> None:
    """With an enormous margin every utterance of a batch is re-encoded alone: same tokens, all counted."""
    feats = _feats(toy / "dev")[1]
    before, margin = tok.encode_features(feats), tok.tie_margin
    tok.tie_margin, tok.fallbacks = 1e9, 0
    try:
        assert tok.encode_features(feats) == before and tok.fallbacks == len(feats)
    finally:
        tok.tie_margin = margin


def test_decision_margins() -> None:
    from vector_quantize_pytorch import FSQ, VectorQuantize

    from cstoolkit.tokenizer.extract import decision_margins
    from cstoolkit.tokenizer.model import quantize

    torch.manual_seed(0)
    vq = VectorQuantize(dim=4, codebook_size=3).eval()
    with torch.no_grad():
        vq.codebook = torch.tensor([[0.0, 0, 0, 0], [1.0, 0, 0, 0], [0.0, 3, 0, 0]])
    x = torch.tensor([[[0.1, 0, 0, 0], [0.5, 0, 0, 0], [0.0, 0, 0, 0]]])
    valid = torch.tensor([[True, True, False]])
    _, ids, _ = quantize(vq, "vq", x, valid)
    margins = decision_margins(vq, "vq", x, ids)
    assert margins[0, 0].item() == pytest.approx(0.8) and margins[0, 1].item() == pytest.approx(0.0, abs=1e-6)
    assert margins[0, 2].item() == float("inf")
    fsq = FSQ(levels=[5, 5], dim=2).eval()
    z = torch.zeros(1, 2, 2)
    _, ids, _ = quantize(fsq, "fsq", z, torch.ones(1, 2, dtype=torch.bool))
    assert (decision_margins(fsq, "fsq", z, ids) > 0.1).all()  # 0 is a level's centre, far from any boundary


def test_waveforms_any_rate_and_token_count(tok, toy) -> None:
    """A waveform at 8 kHz gives about duration x token rate tokens; encode == encode_batch of one."""
    from cstoolkit.data.audio import load_audio

    wav = (toy / "dev" / "wav.scp").read_text().split("\n")[0].split(" ", 1)[1]
    samples, _ = load_audio(wav, target_sr=8000)
    ids = tok.encode(samples, 8000)
    assert ids == tok.encode_batch([samples, samples[: len(samples) // 2]], 8000)[0]
    seconds = len(samples) / 8000
    assert abs(len(ids) - seconds * tok.token_rate_hz) <= 3
    assert all(0 <= t < tok.codebook_size for t in ids)


def test_tokenize_dir_every_utterance_and_processes(tok_dir, toy, tmp_path) -> None:
    from cstoolkit.tokenizer.extract import read_speech_tokens, tokenize_dir

    stats = tokenize_dir(tok_dir, toy / "dev", tmp_path / "one", nj=1, device="cpu")
    one = read_speech_tokens(tmp_path / "one")
    utts = _feats(toy / "dev")[0]
    assert sorted(one) == utts and stats.utterances == len(utts) and not stats.failed
    assert stats.tokens == sum(map(len, one.values()))
    tokenize_dir(tok_dir, toy / "dev", tmp_path / "two", nj=2, device="cpu")
    assert read_speech_tokens(tmp_path / "two") == one


def test_tokenize_dir_reports_unreadable_features(tok_dir, toy, tmp_path) -> None:
    import shutil

    from cstoolkit.tokenizer.extract import read_speech_tokens, tokenize_dir

    data = tmp_path / "dev"
    shutil.copytree(toy / "dev", data)
    lines = (data / "feats.scp").read_text().splitlines()
    bad_utt = lines[0].split()[0]
    (data / "broken.ark").write_bytes(b"not an ark")
    lines[0] = f"{bad_utt} {data / 'broken.ark'}:5"
    (data / "feats.scp").write_text("\n".join(lines) + "\n")
    stats = tokenize_dir(tok_dir, data, nj=1, device="cpu")
    assert set(stats.failed) == {bad_utt} and bad_utt not in read_speech_tokens(data / "speech_tokens")
    assert stats.utterances == len(lines) - 1


def test_missing_model_dir_is_one_error(tmp_path) -> None:
    from cstoolkit.tokenizer.extract import SpeechTokenizer

    with pytest.raises(InputFileError, match="train-tokenizer"):
        SpeechTokenizer.load(tmp_path)


def test_encode_files_bad_file(tok, tmp_path) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, (0.1 * np.sin(np.arange(16000) / 5)).astype(np.float32), 16000)
    (tmp_path / "bad.wav").write_bytes(b"RIFF nonsense")
    failed: dict[str, str] = {}
    out = tok.encode_files([good, tmp_path / "bad.wav"], failed=failed)
    assert out[0] and out[1] is None and list(failed) == [str(tmp_path / "bad.wav")]
    with pytest.raises(InputFileError):
        tok.encode_files([tmp_path / "bad.wav"])
