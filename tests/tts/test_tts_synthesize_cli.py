"""``cstk synthesize`` as a user runs it, on the tiny models of tests/tts/t2s_fixtures.py ``tts_exp``: one sentence into
one file, a Kaldi text file and a data directory into synthesis folders; every bad input is exactly one stderr line
and exit 2, with nothing written.

One refused run is a real ``cstk`` process (a silent prompt: refused after every model has loaded, so its whole
stderr shows that nothing else is printed); the others go through ``cstk``'s ``main`` in this process, whose stderr
is checked the same way (as tests/tts/flow/test_tts_cli.py does).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cstoolkit.cli.cstk import main
from cstoolkit.data.kaldi_dir import read_kaldi_file

ROOT = Path(__file__).resolve().parents[2]
CSTK = Path(sys.executable).parent / "cstk"


@pytest.fixture(scope="module")
def files(tts_exp, tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("synth_cli")
    wavs = read_kaldi_file(tts_exp / "dev" / "wav.scp")
    out = {
        "voice": Path(wavs[sorted(wavs)[1]]),
        "silent": tmp / "silent.wav",
        "text.wav": tmp / "text.wav",
        "lines": tmp / "lines.txt",
        "bad_lines": tmp / "bad_lines.txt",
    }
    sf.write(out["silent"], np.zeros(32000, np.float32), 16000)
    out["text.wav"].write_text("this is not audio\n")
    out["lines"].write_text("a 我去 shopping\nb <en>mall</en> 东西\n")
    out["bad_lines"].write_text("a 我去 shopping\n\nb ...\n")  # line 3 (a blank line is skipped but counted)
    return out


def one_line_error(code: int, out: str, err: str) -> str:
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and out == "", (code, out, err[-3000:])
    assert lines[0].startswith("cstk synthesize: error: "), lines
    return lines[0].removeprefix("cstk synthesize: error: ")


def refused(args: list[str], capsys, never: Path) -> str:
    """``cstk synthesize ARGS`` run by ``main`` here: exit 2, one stderr line, ``never`` not written."""
    code = main(["synthesize", *map(str, args), "--threads", "1"])
    captured = capsys.readouterr()
    message = one_line_error(code, captured.out, captured.err)
    assert not never.exists()
    return message


def test_a_silent_prompt_is_one_line_from_a_real_process(tts_exp, files, tmp_path) -> None:
    out = tmp_path / "out.wav"
    cmd = [
        str(CSTK),
        "synthesize",
        "--model",
        str(tts_exp / "tts"),
        "--prompt",
        str(files["silent"]),
        "--out",
        str(out),
        "--threads",
        "1",
        "我去 shopping",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    message = one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert message.startswith(f"{files['silent']}: ") and "silent" in message
    assert not out.exists()


def test_bad_texts_are_one_line(tts_exp, files, tmp_path, capsys) -> None:
    out = tmp_path / "out.wav"
    base = ["--model", tts_exp / "tts", "--prompt", files["voice"], "--out", out]
    assert refused([*base, ""], capsys, out) == "empty text: nothing to say"
    assert refused([*base, " \t"], capsys, out) == "empty text: nothing to say"
    message = refused([*base, "!! ... ?"], capsys, out)
    assert message.startswith("text: nothing the model can speak in '!! ... ?'") and "no letter" in message
    message = refused([*base, "Ωμέγα"], capsys, out)
    assert message.startswith("text: nothing the model can speak in 'Ωμέγα'") and "every unit is unknown" in message
    assert "not closed" in refused([*base, "<en>mall 我去"], capsys, out)
    message = refused(
        [
            "--model",
            tts_exp / "tts",
            "--prompt",
            files["voice"],
            "--text",
            files["bad_lines"],
            "--out-dir",
            tmp_path / "dir",
        ],
        capsys,
        tmp_path / "dir",
    )
    assert message.startswith(f"{files['bad_lines']}:3: b: nothing the model can speak")


def test_bad_prompts_and_options_are_one_line(tts_exp, files, tmp_path, capsys) -> None:
    out = tmp_path / "out.wav"
    model = ["--model", tts_exp / "tts"]
    message = refused([*model, "--prompt", files["text.wav"], "--out", out, "我去"], capsys, out)
    assert message.startswith(f"{files['text.wav']}: ")
    message = refused([*model, "--prompt", tmp_path / "none.wav", "--out", out, "我去"], capsys, out)
    assert message == f"{tmp_path / 'none.wav'}: audio file not found"
    assert refused([*model, "--prompt", files["voice"], "--out", tmp_path / "x.mp3", "我去"], capsys, out).endswith(
        "name a .wav or .flac file"
    )
    assert "give one of" in refused([*model, "--out", out], capsys, out)
    assert "give one of" in refused(
        [*model, "--prompt", files["voice"], "--out", out, "--data-dir", "d", "我"], capsys, out
    )
    assert "--data-dir goes with --out-dir only" in refused(
        [*model, "--data-dir", "d", "--out-dir", out, "--lang", "zh-en"], capsys, out
    )
    for temperature in ("-0.5", "nan"):
        message = refused(
            [*model, "--prompt", files["voice"], "--out", out, "--temperature", temperature, "我"], capsys, out
        )
        assert message == f"--temperature must be a number of at least 0, got {float(temperature)}"
    message = refused(["--model", tmp_path / "no_model", "--prompt", files["voice"], "--out", out, "我"], capsys, out)
    assert (
        message.startswith(f"{tmp_path / 'no_model'}: not a trained T2S model directory")
        and "cstk train-t2s" in message
    )


def test_one_sentence_into_one_file(tts_exp, files, tmp_path, capsys, caplog) -> None:
    out = tmp_path / "out.flac"
    args = [
        "synthesize",
        "--model",
        str(tts_exp / "tts"),
        "--prompt",
        str(files["voice"]),
        "--out",
        str(out),
        "--lang",
        "zh-en",
        "--steps",
        "2",
        "--duration-scale",
        "1.5",
        "--threads",
        "1",
        "我去 shopping 今天",
    ]
    with caplog.at_level(logging.WARNING, logger="cstoolkit.tts.api"):
        assert main(args) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert any("unknown to the model, spoken as <unk>: 今 天" in r.getMessage() for r in caplog.records)
    wave, rate = sf.read(out)
    assert rate == 22050 and wave.size > 0.1 * rate and captured.out.startswith(f"{out}: ")


def test_a_text_file_into_a_synthesis_folder(tts_exp, files, tmp_path) -> None:
    out = tmp_path / "dir"
    args = [
        "synthesize",
        "--model",
        str(tts_exp / "tts"),
        "--flow",
        str(tts_exp / "flow"),
        "--prompt",
        str(files["voice"]),
        "--text",
        str(files["lines"]),
        "--out-dir",
        str(out),
        "--threads",
        "1",
    ]
    assert main(args) == 0
    assert sorted(read_kaldi_file(out / "wav.scp")) == ["a", "b"]
    assert read_kaldi_file(out / "text") == {"a": "我去 shopping", "b": "mall 东西"}
    info = json.loads((out / "synthesis.json").read_text())
    assert info["kind"] == "tts" and info["prompt"] == str(files["voice"].resolve())


def test_a_data_directory_in_the_voice_of_each_speaker(tts_exp, tmp_path, capsys) -> None:
    data = tmp_path / "data"
    shutil.copytree(tts_exp / "dev", data)
    texts = read_kaldi_file(data / "text")
    utts = sorted(texts)
    texts[utts[0]] = "!!"  # nothing speakable: left out and reported
    (data / "text").write_text("".join(f"{u} {t}\n" for u, t in sorted(texts.items())))
    out = tmp_path / "synth_test"
    args = [
        "synthesize",
        "--model",
        str(tts_exp / "tts"),
        "--data-dir",
        str(data),
        "--out-dir",
        str(out),
        "--seed",
        "3",
        "--temperature",
        "0.6",
        "--threads",
        "1",
    ]
    assert main(args) == 0
    assert "Traceback" not in capsys.readouterr().err
    info = json.loads((out / "synthesis.json").read_text())
    assert info["kind"] == "tts" and info["utterances"] == len(utts) - 1 and info["seed"] == 3
    assert info["inference"]["temperature"] == 0.6
    assert list(info["skipped"]) == [utts[0]] and "nothing the model can speak" in info["skipped"][utts[0]]
    assert info["rtf"] > 0 and info["wall_seconds"] > 0 and set(info["seconds"]) == {"t2s", "flow", "vocoder"}
    prompts = read_kaldi_file(out / "prompts")
    utt2spk = read_kaldi_file(data / "utt2spk")
    assert sorted(prompts) == utts[1:] and all(p != u and utt2spk[p] == utt2spk[u] for u, p in prompts.items())
    assert sorted(p.stem for p in (out / "wav").iterdir()) == utts[1:]
    for name in ("text", "utt2lang", "utt2spk", "t2s_tokens"):
        assert sorted(read_kaldi_file(out / name)) == utts[1:], name
    wave, rate = sf.read(out / "wav" / f"{utts[1]}.wav")
    assert rate == 22050 and wave.size > 0


def test_new_sentences_in_the_voices_of_another_directory(aligned, tts_exp, tmp_path, capsys) -> None:
    """cstk novel-sentences on the toy words, spoken with prompts from the dev speakers (--prompts-from)."""
    src = tmp_path / "src"
    src.mkdir()
    segs = {
        "s-1": [("zh", "我去"), ("en", "shopping mall"), ("zh", "买东西")],
        "s-2": [("zh", "我"), ("en", "coffee today"), ("zh", "去")],
    }
    (src / "text").write_text("".join(f"{u} {' '.join(t for _, t in s)}\n" for u, s in segs.items()))
    (src / "utt2lang").write_text("s-1 zh-en\ns-2 zh-en\n")
    rows = [{"id": u, "segments": [{"lang": lg, "text": t} for lg, t in s]} for u, s in segs.items()]
    (src / "utt2seg.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    novel, out = tmp_path / "novel", tmp_path / "synth_novel"
    dev = tts_exp / "dev"
    assert (
        main(
            [
                "novel-sentences",
                "--data-dir",
                str(src),
                "--speakers-from",
                str(dev),
                "--per-pair",
                "2",
                "--out-dir",
                str(novel),
            ]
        )
        == 0
    )
    texts = read_kaldi_file(novel / "text")
    assert len(texts) == 2 and not set(texts.values()) & set(read_kaldi_file(src / "text").values())
    args = [
        "synthesize",
        "--model",
        str(tts_exp / "tts"),
        "--data-dir",
        str(novel),
        "--prompts-from",
        str(dev),
        "--out-dir",
        str(out),
        "--threads",
        "1",
    ]
    assert main(args) == 0
    info = json.loads((out / "synthesis.json").read_text())
    assert info["utterances"] == 2 and info["skipped"] == {} and info["prompts_from"] == str(dev.resolve())
    prompts, dev_spk = read_kaldi_file(out / "prompts"), read_kaldi_file(dev / "utt2spk")
    novel_spk = read_kaldi_file(novel / "utt2spk")
    assert sorted(prompts) == sorted(texts) and all(dev_spk[p] == novel_spk[u] for u, p in prompts.items())
    assert read_kaldi_file(out / "text") == texts and sorted(p.stem for p in (out / "wav").iterdir()) == sorted(texts)
    # judged against the dev speakers' real audio: every new sentence is compared with its speaker's utterances
    from cstoolkit.cli.common import open_decoder
    from cstoolkit.config import load_config
    from cstoolkit.tts.eval.evaluate import evaluate_synthesis

    overrides = ["metric.lam=1", "asr.decode.method=greedy", "trainer.num_threads=1"]
    cfg = load_config(overrides)
    bundle, decode_cfg = open_decoder(str(aligned / "tokenizer"), "cpu", cfg, overrides, "tokenizer")
    evaluate_synthesis(out, dev, bundle, decode_cfg, cfg)
    sim = json.loads((out / "similarity.json").read_text())
    assert sorted(sim["per_utterance"]) == sorted(texts) and sim["utterances"] == 2
    capsys.readouterr()
    assert (
        refused(
            [
                "--model",
                tts_exp / "tts",
                "--text",
                novel / "text",
                "--prompts-from",
                dev,
                "--prompt",
                tts_exp / "dev" / "wav" / "x.wav",
                "--out-dir",
                tmp_path / "never",
            ],
            capsys,
            tmp_path / "never",
        )
        == "--prompts-from goes with --data-dir"
    )


def test_train_t2s_refuses_a_flow_model_of_other_tokens(aligned, tts_exp, tmp_path, capsys) -> None:
    flow = tmp_path / "flow"
    shutil.copytree(tts_exp / "flow", flow, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    info = json.loads((flow / "flow.json").read_text())
    (flow / "flow.json").write_text(json.dumps({**info, "token_rate_hz": 50.0}))
    args = [
        "train-t2s",
        "--train-dir",
        str(tts_exp / "train"),
        "--tokenizer-dir",
        str(aligned / "tokenizer"),
        "--exp-dir",
        str(tmp_path / "exp"),
        "--flow-dir",
        str(flow),
        "t2s.model.speaker_dim=256",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "token_rate_hz" in err and "same speech tokenizer" in err, err
    assert not (tmp_path / "exp").exists()


def test_the_ground_truth_decoded_by_a_cs_asr(aligned, tts_exp, tmp_path) -> None:
    """The real dev audio judged like a synthesis folder, decoded here (the toy tokenizer, through its quantizer, is
    the CS-ASR): every utterance has a hypothesis, the scores are per language pair, each utterance is compared with
    the other five of its speaker."""
    from cstoolkit.cli.common import open_decoder
    from cstoolkit.config import load_config
    from cstoolkit.tts.eval.evaluate import evaluate_ground_truth

    overrides = ["metric.lam=1", "asr.decode.method=greedy", "trainer.num_threads=1"]
    cfg = load_config(overrides)
    bundle, decode_cfg = open_decoder(str(aligned / "tokenizer"), "cpu", cfg, overrides, "tokenizer")
    out = tmp_path / "ground_truth"
    row = evaluate_ground_truth(tts_exp / "dev", out, bundle, decode_cfg, cfg)
    utts = sorted(read_kaldi_file(tts_exp / "dev" / "text"))
    assert row["kind"] == "ground truth" and row["utterances"] == len(utts) == 6 and row["rtf"] is None
    assert list(row["per_tag"]) == ["zh-en"] and row["per_tag"]["zh-en"]["utterances"] == 6
    assert sorted(read_kaldi_file(out / "hyp.txt", allow_empty_value=True)) == utts
    assert json.loads((out / "decode.json").read_text())["method"] == "greedy"
    sim = json.loads((out / "similarity.json").read_text())
    assert sorted(sim["per_utterance"]) == utts and sim["speakers"] == 1  # one speaker: nobody else to rank
    assert sim["own_first"] == 1.0 and sim["margin_mean"] is None and sim["best_other_mean"] is None
    assert all(r["rank"] == 1 and r["margin"] is None for r in sim["per_utterance"].values())
    assert row["speakers"] == 1 and row["own_first"] == 1.0 and row["margin"] is None
    assert json.loads((out / "synthesis.json").read_text())["decoded"] == "here"


def test_show_text_prints_what_the_model_reads_without_synthesising(tts_exp, files, tmp_path, capsys) -> None:
    model = tts_exp / "tts"
    code = main(["synthesize", "--model", str(model), "--show-text", "--lang", "zh-en", "我去 shopping 买 2 个 GPU"])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", err
    lines = out.splitlines()
    assert lines[:4] == ["zh: 我去", "en: shopping", "zh: 买 两 个", "en: G P U"]
    units = lines[4].removeprefix("units: ").split()
    assert "两/zh" in [u.rstrip("?") for u in units] and all("/und" not in u for u in units)
    assert all(u.rsplit("/", 1)[1].rstrip("?") in ("zh", "en") for u in units)
    unknown = [u.rsplit("/", 1)[0] for u in units if u.endswith("?")]
    if unknown:  # the toy model's vocabulary is small: what it cannot say is named
        assert lines[5] == "unknown to the model (spoken as <unk>): " + " ".join(dict.fromkeys(unknown))
    code = main(["synthesize", "--model", str(model), "--show-text", "--text", str(files["lines"])])
    out, _ = capsys.readouterr()
    assert code == 0 and out.splitlines()[:2] == ["a zh: 我去", "a en: shopping"]
    assert "b en: mall" in out.splitlines()
