"""Fine-tuning a trained CS-ASR (``init_from``) and the paired comparison of two models' decodings."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from omegaconf import OmegaConf

from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import ConfigError


def _module(cfg, toy):
    from cstoolkit.text.tokens import TextTokenizer
    from cstoolkit.train.module import build_module

    tokenizer = TextTokenizer(toy / "units")
    module = build_module(
        cfg.asr,
        "asr",
        seed=0,
        token_list=tokenizer.token_list,
        stats_file=toy / "train" / "feats_stats.npz",
        decode_ids=tokenizer.decode,
        dev_texts={},
    )
    return module, tokenizer


def test_fine_tuning_starts_from_the_trained_weights(trained, toy, cfg) -> None:
    from cstoolkit.asr.train import start_from
    from cstoolkit.core.modeldir import load_state

    module, tokenizer = _module(cfg, toy)
    start_from(module.model, trained, tokenizer)
    saved = load_state(trained / "model.pth")
    assert all(torch.equal(saved[k], v) for k, v in module.model.state_dict().items())


def test_fine_tuning_refuses_other_units_or_another_architecture(trained, toy, cfg, tmp_path) -> None:
    from cstoolkit.asr.train import start_from
    from cstoolkit.text.tokens import TextTokenizer

    other = tmp_path / "other"
    shutil.copytree(trained, other, ignore=shutil.ignore_patterns("checkpoints"))
    tokens = (other / "units" / "tokens.txt").read_text().splitlines()
    (other / "units" / "tokens.txt").write_text("\n".join([tokens[0], "zz", *tokens[1:]]) + "\n")
    module, tokenizer = _module(cfg, toy)
    with pytest.raises(ConfigError, match="units differ"):
        start_from(module.model, other, tokenizer)
    wider = OmegaConf.merge(cfg, {"asr": {"encoder": {"output_size": 2 * int(cfg.asr.encoder.output_size)}}})
    module, tokenizer = _module(wider, toy)
    with pytest.raises(ConfigError, match="tensors differ"):
        start_from(module.model, trained, TextTokenizer(toy / "units"))
    with pytest.raises(ConfigError, match=r"no model\.pth"):
        start_from(module.model, tmp_path, tokenizer)


def test_train_asr_init_from_fine_tunes_and_records_it(trained, toy, cfg, tmp_path, caplog) -> None:
    from cstoolkit.asr.train import train_asr

    c = OmegaConf.merge(cfg, {"asr": {"train": {"max_epochs": 1}}})
    with caplog.at_level("INFO"):
        result = train_asr(toy / "train", toy / "dev", toy / "units", tmp_path / "ft", c, init_from=trained)
    assert any("starting from the weights of" in r.getMessage() for r in caplog.records)
    assert result.averaged_from and (tmp_path / "ft" / "model.pth").is_file()


def test_comparison_of_two_models_per_split_and_pair(tmp_path, cfg) -> None:
    from cstoolkit.asr.compare import compare_models

    data = tmp_path / "data" / "test"
    data.mkdir(parents=True)
    refs = {f"u{i:02d}": f"we eat sushi number {i} today" for i in range(12)}
    (data / "text").write_text("".join(f"{u} {t}\n" for u, t in refs.items()))
    (data / "utt2lang").write_text("".join(f"{u} {'zh-en' if i % 2 else 'es-en'}\n" for i, u in enumerate(refs)))
    for model, hyp in (("a", lambda t: t.replace("sushi", "sashimi").replace("today", "")), ("b", lambda t: t)):
        out = tmp_path / model / "decode_test"
        out.mkdir(parents=True)
        (out / "hyp.txt").write_text("".join(f"{u} {hyp(t)}\n" for u, t in refs.items()))
    metric = OmegaConf.merge(cfg.metric, {"bootstrap": 200, "lam": 1.0})
    doc = compare_models(tmp_path / "data", tmp_path / "a", tmp_path / "b", ["test"], metric, tmp_path / "cmp")
    diff = doc["splits"]["test"]["difference"]["form_error"]
    assert diff["a"] == pytest.approx(2 / 6) and diff["b"] == 0.0 and diff["ci"]["high"] < 0
    assert set(doc["splits"]["test"]["per_tag"]) == {"zh-en", "es-en"}
    rows = (tmp_path / "cmp.tsv").read_text().splitlines()
    assert rows[0].startswith("split\ttag\tmer_a") and [r.split("\t")[1] for r in rows[1:]] == ["all", "es-en", "zh-en"]
    assert json.loads((tmp_path / "cmp.json").read_text()) == doc
    with pytest.raises(Exception, match="decode test_novel"):
        compare_models(tmp_path / "data", tmp_path / "a", tmp_path / "b", ["test_novel"], metric, tmp_path / "x")
    assert read_kaldi_file(data / "text")
