"""The reviewer's ASR CLI findings: bad input is one line and exit 2, refused runs change nothing, stdout is clean."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cstoolkit.cli.cstk import main
from cstoolkit.data.kaldi_dir import read_kaldi_map

ROOT = Path(__file__).resolve().parents[2]
TINY = ["asr=tiny", "trainer.enable_progress_bar=false", "asr.train.max_epochs=1", "augment=none"]


def one_line_error(capsys, needle: str) -> str:
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]
    assert "Traceback" not in err and needle in last, err
    return last


def train_args(toy: Path, exp: Path, units: Path | None = None, train: Path | None = None) -> list[str]:
    return [
        "train-asr",
        "--train-dir",
        str(train or toy / "train"),
        "--dev-dir",
        str(toy / "dev"),
        "--units-dir",
        str(units or toy / "units"),
        "--exp-dir",
        str(exp),
    ]


def decode_args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "decode-asr",
        "--model-dir",
        str(model),
        "--data-dir",
        str(data),
        "--out-dir",
        str(out),
        "--method",
        "greedy",
        "--device",
        "cpu",
        *extra,
    ]


def copy_data(src: Path, dst: Path, feats: dict[str, str] | None = None, frames: dict[str, str] | None = None) -> Path:
    shutil.copytree(src, dst)
    if feats is not None:
        (dst / "feats.scp").write_text("".join(f"{k} {v}\n" for k, v in sorted(feats.items())))
    if frames is not None:
        (dst / "utt2num_frames").write_text("".join(f"{k} {v}\n" for k, v in sorted(frames.items())))
    return dst


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_refused_retraining_leaves_the_model_dir_untouched(trained, toy, tmp_path, capsys) -> None:
    """Bug 1: the compatibility check runs before config.yaml or units/ are written."""
    exp = tmp_path / "exp"
    shutil.copytree(trained, exp)
    before = snapshot(exp)
    units = tmp_path / "units40"
    shutil.copytree(toy / "units", units)
    tokens = (units / "tokens.txt").read_text().splitlines()
    (units / "tokens.txt").write_text("\n".join([*tokens[:-1], "x1", "x2", "x3", tokens[-1]]) + "\n")
    assert main([*train_args(toy, exp), *TINY, "asr.encoder.output_size=48"]) == 2
    one_line_error(capsys, "holds a different model")
    assert main([*train_args(toy, exp, units=units), *TINY]) == 2
    one_line_error(capsys, "holds a different model")
    assert snapshot(exp) == before
    assert main(decode_args(exp, toy / "dev", tmp_path / "dec")) == 0


def test_no_usable_utterance_is_exit_2(trained, toy, tmp_path, capsys) -> None:
    """Bug 2: every ark missing, empty feats.scp, frame counts matching nothing, every ark corrupt."""
    scp = read_kaldi_map(toy / "dev" / "feats.scp")
    missing = copy_data(
        toy / "dev", tmp_path / "missing", feats={u: f"/nonexistent/x.ark:{i}" for i, u in enumerate(scp)}
    )
    empty = copy_data(toy / "dev", tmp_path / "empty", feats={})
    nomatch = copy_data(toy / "dev", tmp_path / "nomatch", frames={"nobody": "10"})
    (tmp_path / "bad.ark").write_bytes(b"\x00garbage")
    corrupt = copy_data(toy / "dev", tmp_path / "corrupt", feats={u: f"{tmp_path / 'bad.ark'}:1" for u in scp})
    for data in (missing, empty, nomatch, corrupt):
        out = tmp_path / f"out_{data.name}"
        assert main(decode_args(trained, data, out, "--score", "metric.lam=1")) == 2, data.name
        one_line_error(capsys, "feats.scp")
        assert not (out / "hyp.txt").exists() and not (out / "saer.json").exists()
    train_missing = copy_data(
        toy / "train",
        tmp_path / "train_missing",
        feats={u: f"/nonexistent/x.ark:{i}" for i, u in enumerate(read_kaldi_map(toy / "train" / "feats.scp"))},
    )
    assert main([*train_args(toy, tmp_path / "exp_missing", train=train_missing), *TINY]) == 2
    one_line_error(capsys, "no usable training utterance")
    assert not (tmp_path / "exp_missing" / "model.pth").exists()


def test_training_on_only_corrupt_features_is_exit_2(toy, tmp_path, capsys) -> None:
    """Bug 2: arks that exist but cannot be read: no training step, no model.pth."""
    (tmp_path / "bad.ark").write_bytes(b"\x00garbage")
    train = copy_data(
        toy / "train",
        tmp_path / "train",
        feats={u: f"{tmp_path / 'bad.ark'}:1" for u in read_kaldi_map(toy / "train" / "feats.scp")},
    )
    assert main([*train_args(toy, tmp_path / "exp", train=train), *TINY]) == 2
    one_line_error(capsys, "no training step was made")
    assert not (tmp_path / "exp" / "model.pth").exists()


def _features_of_dim(toy: Path, dst: Path, dim: int) -> Path:
    import kaldiio

    scp = read_kaldi_map(toy / "dev" / "feats.scp")
    data = copy_data(toy / "dev", dst)
    with kaldiio.WriteHelper(f"ark,scp:{dst / 'f.ark'},{dst / 'feats.scp'}") as writer:
        for utt in sorted(scp):
            writer(utt, kaldiio.load_mat(scp[utt])[:, :dim])
    return data


def test_wrong_feature_dim_is_one_line(trained, toy, tmp_path, capsys) -> None:
    """Bug 4: 40-dim features say so instead of a GlobalMVN size mismatch."""
    data = _features_of_dim(toy, tmp_path / "dev40", 40)
    assert main(decode_args(trained, data, tmp_path / "out")) == 2
    one_line_error(capsys, "40-dim features, but the model takes 80-dim")
    assert main([*train_args(toy, tmp_path / "exp", train=data), *TINY]) == 2
    one_line_error(capsys, "40-dim features")
    assert not (tmp_path / "exp" / "config.yaml").exists()


def test_broken_model_dirs_and_settings_are_one_line(trained, toy, tmp_path, capsys, monkeypatch) -> None:
    """Bugs 4, 8, 9, 12, 16: bad config.yaml, units of another run, output path that is a file, GPU without GPU."""
    from cstoolkit.core import runtime

    model = tmp_path / "model"
    shutil.copytree(trained, model, ignore=shutil.ignore_patterns("checkpoints", "logs"))
    (tmp_path / "afile").write_text("x")
    assert main(decode_args(model, toy / "dev", tmp_path / "afile")) == 2
    one_line_error(capsys, "afile: output folder exists and is not a folder")
    assert main(decode_args(model, toy / "dev", tmp_path / "o", "asr.decode.batch_frames=0")) == 2
    one_line_error(capsys, "asr.decode.batch_frames=0")
    assert main([*decode_args(model, toy / "dev", tmp_path / "o", "asr.decode.beam_size=0"), "--method", "beam"]) == 2
    one_line_error(capsys, "asr.decode.beam_size=0")
    monkeypatch.setattr(runtime, "_torch_cuda_count", lambda: 0)
    for device in ("cuda", "gpu"):
        assert main([*decode_args(model, toy / "dev", tmp_path / "o"), "--device", device]) == 2
        one_line_error(capsys, "no CUDA GPU")
    assert main([*train_args(toy, tmp_path / "exp_gpu"), *TINY, "trainer=gpu"]) == 2
    one_line_error(capsys, "trainer.accelerator=gpu: no CUDA GPU")
    wav = next(iter(read_kaldi_map(toy / "dev" / "wav.scp").values()))
    assert main([*train_args(toy, tmp_path / "exp_stats"), "--stats-file", wav, *TINY]) == 2
    one_line_error(capsys, "not feature statistics")
    units = model / "units"
    tokens = (units / "tokens.txt").read_text().splitlines()
    (units / "tokens.txt").write_text("\n".join([*tokens[:-1], "x1", "x2", tokens[-1]]) + "\n")
    assert main(decode_args(model, toy / "dev", tmp_path / "o")) == 2
    one_line_error(capsys, "units/ does not match model.pth")
    (model / "config.yaml").write_text("asr: [unclosed\n")
    assert main(decode_args(model, toy / "dev", tmp_path / "o")) == 2
    one_line_error(capsys, "not a readable YAML config")


def test_decode_uses_the_models_settings_and_reports_failures_apart(trained, toy, tmp_path) -> None:
    """Bugs 7, 10, 17: the model's beam size unless overridden; statistics count decoded utterances only; old
    score files are removed by a new decoding."""
    args = ["decode-asr", "--model-dir", str(trained), "--data-dir", str(toy / "dev"), "--device", "cpu"]
    assert main([*args, "--out-dir", str(tmp_path / "a"), "--method", "beam"]) == 0  # no asr=tiny repeated
    assert json.loads((tmp_path / "a" / "decode.json").read_text())["settings"]["beam_size"] == 3  # tiny's, not 8
    assert main([*args, "--out-dir", str(tmp_path / "b"), "--method", "beam", "asr.decode.beam_size=2"]) == 0
    assert json.loads((tmp_path / "b" / "decode.json").read_text())["settings"]["beam_size"] == 2

    scp = read_kaldi_map(toy / "dev" / "feats.scp")
    bad = sorted(scp)[0]
    ark, offset = scp[bad].rsplit(":", 1)
    (tmp_path / "trunc.ark").write_bytes(Path(ark).read_bytes()[: int(offset) + 40])  # cut inside the matrix
    data = copy_data(toy / "dev", tmp_path / "dev", feats={**scp, bad: f"{tmp_path / 'trunc.ark'}:{offset}"})
    out = tmp_path / "c"
    out.mkdir()
    (out / "saer.json").write_text("{}")
    other = ["decode-asr", "--model-dir", str(trained), "--data-dir", str(data), "--device", "cpu"]
    assert main([*other, "--out-dir", str(out), "--method", "greedy"]) == 0
    info = json.loads((out / "decode.json").read_text())
    assert info["utterances"] == len(scp) - 1 and bad in info["skipped"]
    assert "cannot read" in info["skipped"][bad] and ":  (" not in info["skipped"][bad]  # a reason is given
    assert not (out / "saer.json").exists()


def test_transcribe_batch_goes_on_and_stdout_is_clean(trained, toy, tmp_path) -> None:
    """Bugs 5, 6, 15: only file<TAB>text lines on stdout; a folder, a corrupt and a NaN file are reported on
    stderr while the good file is transcribed; exit 2."""
    good = next(iter(read_kaldi_map(toy / "dev" / "wav.scp").values()))
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00garbage")
    sf.write(tmp_path / "nan.wav", np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT")
    files = [good, str(tmp_path / "corrupt.wav"), str(tmp_path), str(tmp_path / "nan.wav")]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cstoolkit.cli.cstk",
            "transcribe",
            "--model",
            str(trained),
            "--device",
            "cpu",
            "--method",
            "greedy",
            *files,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert run.stdout.splitlines() and all(line.startswith(good + "\t") for line in run.stdout.splitlines())
    errors = [line for line in run.stderr.splitlines() if line.startswith("cstk transcribe: error:")]
    assert len(errors) == 3 and "is a folder" in errors[1] and "NaN" in errors[2], errors


def test_missing_model_is_refused_before_torch_loads(tmp_path) -> None:
    """Bug 14: a missing model is reported without importing torch/ESPnet."""
    code = (
        "import sys; from cstoolkit.cli.cstk import main; "
        "rc = main(['transcribe', '--model', '/nonexistent', 'a.wav']); "
        "assert rc == 2 and 'torch' not in sys.modules, (rc, 'torch' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "train-asr" in run.stderr


@pytest.mark.parametrize("argv", [["transcribe", "--model", "m", "--threads", "-3", "a.wav"]])
def test_bad_thread_count_is_a_usage_error(argv, capsys) -> None:
    with pytest.raises(SystemExit) as err:
        main(argv)
    assert err.value.code == 2 and "--threads" in capsys.readouterr().err


def test_whisper_refuses_bad_settings_before_decoding(toy, tmp_path, capsys) -> None:
    """Bugs 4, 8: an output path that is a file, a bad language or a garbage model.bin are one line, exit 2."""
    (tmp_path / "afile").write_text("x")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.bin").write_bytes(b"garbage")
    args = ["whisper", "--data-dir", str(toy / "dev"), "--out-dir"]
    assert main([*args, str(tmp_path / "afile")]) == 2
    one_line_error(capsys, "not a folder")
    assert main([*args, str(tmp_path / "w"), "whisper.language=xx"]) == 2
    one_line_error(capsys, "whisper.language='xx'")
    assert main([*args, str(tmp_path / "w"), f"whisper.model_dir={tmp_path / 'model'}"]) == 2
    one_line_error(capsys, "cannot load the Whisper model")


def test_missing_augmented_copies_is_one_line_and_writes_nothing(toy, tmp_path, capsys) -> None:
    exp = tmp_path / "exp"
    assert main([*train_args(toy, exp), *TINY, "augment=default"]) == 2
    one_line_error(capsys, "augment/train/copy1: augmented copy missing (augment.copies=3)")
    assert not exp.exists()
