"""Training the NAR text -> speech-token model through train_t2s on the toy corpus, reloading it, synthesising."""

from __future__ import annotations

import json

import numpy as np
import pytest
from omegaconf import OmegaConf

from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import ConfigError, InputFileError

SPEAKER_DIM = 8


def add_speakers(d, seed: int) -> None:
    """Fake 8-d speaker embeddings (``.npy`` per utterance) in ``utt_embed.scp``."""
    rng = np.random.default_rng(seed)
    lines = []
    for utt in sorted(read_kaldi_file(d / "speech_tokens")):
        path = d / f"{utt}.embed.npy"
        np.save(path, rng.random((1, SPEAKER_DIM), dtype=np.float32))
        lines.append(f"{utt} {path}\n")
    (d / "utt_embed.scp").write_text("".join(lines))


@pytest.fixture(scope="module")
def trained(aligned, tmp_path_factory, tcfg):
    """A model trained for 2 epochs (train: 24 utterances with fake speakers; dev: 6)."""
    import shutil

    from cstoolkit.tts.t2s.train import train_t2s

    root = tmp_path_factory.mktemp("t2s_exp")
    dirs = {}
    for k, split in enumerate(("train", "dev")):
        dirs[split] = root / split
        shutil.copytree(aligned / split, dirs[split], ignore=shutil.ignore_patterns("wav", "*.ark"))
        add_speakers(dirs[split], k)
    result = train_t2s(dirs["train"], dirs["dev"], aligned / "tokenizer", root / "exp", tcfg)
    return root, result


def test_train_writes_a_self_contained_model_dir(trained, aligned):
    root, result = trained
    exp = root / "exp"
    assert result.epochs == 2 and result.global_step > 0 and (exp / "model.pth").is_file()
    cfg = OmegaConf.load(exp / "config.yaml")
    info = json.loads((exp / "t2s.json").read_text())
    assert cfg.t2s.model.unit_vocab_size == info["units"] == len((exp / "units" / "tokens.txt").read_text().split())
    assert cfg.t2s.model.codebook_size == info["codebook_size"] == 32
    assert info["languages"] == ["<unk>", "en", "zh"] and cfg.t2s.model.lang_vocab_size == 3
    assert info["lead_blanks"] == "first_unit" and info["parameters"]["total"] > 0
    history = [json.loads(line) for line in (exp / "history.jsonl").read_text().splitlines()]
    val = [h for h in history if "val/token_acc" in h]
    assert val and all(0 <= h["val/token_acc"] <= 1 and np.isfinite(h["val/duration"]) for h in val)


def test_reload_and_synthesize(trained):
    from cstoolkit.tts.t2s.infer import TextToSpeechTokens

    root, _ = trained
    t2s = TextToSpeechTokens.load(root / "exp")
    texts = ["我去 shopping mall", "오늘 today 今天"]
    speakers = np.random.default_rng(0).random((2, SPEAKER_DIM), dtype=np.float32)
    out = t2s.synthesize(texts, langs=["zh-en", None], speakers=speakers)
    for res in out:
        assert len(res.tokens) == sum(res.durations) and min(res.durations) >= 1
        assert len(res.durations) == len(res.frontend.units)
        assert all(0 <= t < 32 for t in res.tokens)
    assert out[0].unknown_units == [] and out[1].unknown_units == ["今", "天"]  # not in the toy units: <unk>
    assert out[0].frontend.langs[0] == "zh" and out[0].frontend.langs[-1] == "en"
    # a language the model was not trained on is reported and read as id 0
    odd = t2s.synthesize(["mall"], segments=[[{"lang": "fr", "text": "mall"}]])[0]
    assert odd.unknown_langs == ["fr"] and odd.frontend.lang_ids == [0]
    slow = t2s.synthesize(texts, langs=["zh-en", None], speakers=speakers, duration_scale=3.0)
    assert all(len(s.tokens) > len(o.tokens) for s, o in zip(slow, out))
    assert t2s.synthesize(texts[:1], speakers=None)[0].tokens  # without a speaker embedding
    sampled = t2s.synthesize(texts, temperature=1.0, top_k=4, seed=1)
    assert [len(s.tokens) for s in sampled] == [len(s.tokens) for s in t2s.synthesize(texts)]
    with pytest.raises(ConfigError, match="no unit to speak"):
        t2s.synthesize(["!!"])


def test_stale_alignment_and_missing_files_are_refused(trained, aligned, tcfg, copy_split):
    from cstoolkit.tts.t2s.train import t2s_table, train_t2s

    root, _ = trained
    d = copy_split(root / "train")
    durs = read_kaldi_file(d / "unit_durations")
    utt = min(durs)
    durs[utt] = durs[utt] + " 1"  # one unit more than text_units has
    (d / "unit_durations").write_text("".join(f"{u} {v}\n" for u, v in sorted(durs.items())))
    table = t2s_table(d, tcfg.t2s, speaker=True)
    assert utt not in table.utt_ids and "disagree" in table.skipped[utt]
    assert table.lengths == [len(t) for t in table.columns["speech_tokens"]]
    (d / "utt_embed.scp").unlink()
    with pytest.raises(InputFileError, match="embed-speakers"):
        train_t2s(d, None, aligned / "tokenizer", root / "never", tcfg)
    info = json.loads((d / "unit_align.json").read_text())
    info["units_sha1"] = "0" * 40
    (d / "unit_align.json").write_text(json.dumps(info))
    with pytest.raises(InputFileError, match="other text units"):
        train_t2s(d, None, aligned / "tokenizer", root / "never", tcfg)
    assert not (root / "never").exists()


def test_cli_refuses_bad_values(aligned, capsys):
    from cstoolkit.cli.cstk import main

    args = [
        "train-t2s",
        "--train-dir",
        str(aligned / "train"),
        "--tokenizer-dir",
        str(aligned / "tokenizer"),
        "--exp-dir",
        "/nonexistent/x",
    ]
    assert main([*args, "t2s.inference.duration_scale=0"]) == 2
    assert "t2s.inference.duration_scale" in capsys.readouterr().err
