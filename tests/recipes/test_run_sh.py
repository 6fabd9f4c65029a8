"""recipes/switchlingua/run.sh: option parsing, stages, stamps, --force, a kill in the middle, --data_root."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from data_helpers import FAKE_KEPT, make_fake_release

from cstoolkit.data.kaldi_dir import read_data_dir
from cstoolkit.data.validate import validate_data_dir

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "recipes" / "switchlingua" / "run.sh"
#: a demo corpus from the templates (the tests count its utterances: 2 pairs x 4 sentences x 2 readings in train)
TINY = [
    "data.mini.sentences=templates",
    "data.mini.pairs=[zh-en,es-en]",
    "data.mini.train_sentences=4",
    "data.mini.dev_sentences=1",
    "data.mini.test_sentences=1",
    "data.plots=false",
]
#: a demo corpus from the generator (data.mini.sentences=generated): 2 pairs x (4 train, 1 shared by 2 voices,
#: 1 dev, 1 test, 1 test_novel) sentences, 2 + 1 + 1 voices
TINY_GENERATED = [
    "data.mini.pairs=[zh-en,es-en]",
    "data.mini.sentences=generated",
    "data.mini.generated.train_sentences=4",
    "data.mini.generated.shared_sentences=1",
    "data.mini.generated.dev_sentences=1",
    "data.mini.generated.test_sentences=1",
    "data.mini.generated.test_novel_sentences=1",
    "data.mini.generated.speakers.train=2",
    "data.mini.generated.speakers.dev=1",
    "data.mini.generated.speakers.test=1",
    "data.plots=false",
]


def run_sh(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    """run.sh limited to stages 0-1 unless the caller asks for other stages."""
    if "--stop_stage" not in args and "--help" not in args:
        args = ("--stop_stage", "1", *args)
    proc = subprocess.run(["bash", str(RUN), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bogus"], "unknown option --bogus"),
        (["--stage"], "--stage needs a non-negative integer"),
        (["--nj", "two"], "--nj needs a non-negative integer"),
        (["--data_root"], "--data_root needs a value"),
        (["stray"], "unexpected argument stray"),
        (["--data_root", "/no/such/release"], "is not a folder"),
    ],
)
def test_bad_options_print_usage_and_exit_2(args, message):
    proc = run_sh(*args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and "Usage:" in proc.stderr


def test_help_exits_0():
    proc = run_sh("--help")
    assert "--stop_stage" in proc.stdout and "key=value" in proc.stdout


def _valid_splits(work: Path) -> dict[str, int]:
    counts = {}
    for split in ("train", "dev", "test"):
        assert validate_data_dir(work / "data" / split) == [], split
        counts[split] = len(read_data_dir(work / "data" / split))
    return counts


def test_stages_stamps_skip_and_force(tmp_path: Path):
    work = tmp_path / "work"
    first = run_sh("--work_dir", str(work), "--nj", "2", *TINY)
    for n, text in ((0, "prepare data"), (1, "features")):
        assert f"===== stage {n}: " in first.stderr and text in first.stderr
    assert "command: " in first.stderr and first.stderr.count("finished in") == 2
    assert sorted(p.name for p in (work / ".stamps").glob("stage*")) == ["stage0.done", "stage1.done"]
    assert _valid_splits(work) == {"train": 16, "dev": 2, "test": 2}
    feats = work / "data" / "train" / "feats.scp"
    before = feats.stat().st_mtime_ns

    again = run_sh("--work_dir", str(work), "--nj", "2", *TINY)
    assert again.stderr.count("done earlier, skipped") == 2 and "=====" not in again.stderr
    assert feats.stat().st_mtime_ns == before

    forced = run_sh("--work_dir", str(work), "--nj", "2", "--stage", "1", "--force", *TINY)
    assert "===== stage 1" in forced.stderr and "stage 0" not in forced.stderr

    redo0 = run_sh("--work_dir", str(work), "--nj", "2", "--stop_stage", "0", "--force", *TINY)
    assert "===== stage 0" in redo0.stderr
    assert not (work / ".stamps" / "stage1.done").exists()  # a redone stage invalidates the stages after it
    changed = run_sh("--work_dir", str(work), "--nj", "2", *TINY, "features.mel.fmax=7600")
    assert "stage 0: prepare data (demo corpus, or the release at --data_root): done earlier" not in changed.stderr
    assert "===== stage 1" in changed.stderr


def test_stages_0_1_on_the_generated_world_write_and_featurise_test_novel(tmp_path: Path):
    """The default sentence source: stage 0 writes the fourth split test_novel (held-out structures read by the test
    voices), stage 1 gives it fbank and log-mel features like the others, and the report lists it."""
    work = tmp_path / "work"
    run_sh("--work_dir", str(work), "--nj", "2", *TINY_GENERATED)
    data = work / "data"
    counts = {}
    for split in ("train", "dev", "test", "test_novel"):
        assert validate_data_dir(data / split) == [], split
        utts = read_data_dir(data / split)
        counts[split] = len(utts)
        for name in ("feats.scp", "mel.scp"):
            listed = {line.split(maxsplit=1)[0] for line in (data / split / name).read_text().splitlines()}
            assert listed == {u.id for u in utts}, (split, name)
    assert counts == {"train": 2 * (4 + 1), "dev": 2, "test": 2, "test_novel": 2}
    speakers = {split: {u.speaker for u in read_data_dir(data / split)} for split in ("test", "test_novel")}
    assert speakers["test_novel"] == speakers["test"]
    report = json.loads((data / "prepare_report.json").read_text())
    assert report["sentence_source"] == "generated"
    assert set(report["splits"]) == {"train", "dev", "test", "test_novel"}
    assert report["splits"]["test_novel"]["utterances"] == 2


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.time() + timeout
    while not predicate():
        assert proc.poll() is None, "run.sh ended before the kill"
        assert time.time() < end, "timed out waiting"
        time.sleep(0.05)


def test_kill_in_the_middle_then_clean_rerun(tmp_path: Path):
    work = tmp_path / "work"
    over = [
        "data.mini.sentences=templates",
        "data.mini.pairs=[zh-en,ja-en,de-en]",
        "data.mini.train_sentences=20",
        "data.mini.dev_sentences=2",
        "data.mini.test_sentences=2",
        "data.plots=false",
    ]
    args = ["bash", str(RUN), "--stop_stage", "1", "--work_dir", str(work), "--nj", "1", *over]
    for point in ("stage0", "stage1"):
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        if point == "stage0":
            _wait_for(lambda: len(list((work / "data" / "audio").rglob("*.flac"))) >= 10, proc)
        else:
            _wait_for(lambda: any((work / "data" / "train" / "feats").glob("*.ark")), proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not (work / ".stamps" / f"{point}.done").exists()
        if point == "stage0":
            assert not (work / "data" / "train").exists()  # nothing that looks finished
        else:
            assert not (work / "data" / "train" / "features.json").exists()
        rerun = run_sh("--work_dir", str(work), "--nj", "2", *over)
        if point == "stage1":
            assert "stage 0: prepare data" in rerun.stderr and "done earlier, skipped" in rerun.stderr
            assert "===== stage 1" in rerun.stderr
        counts = _valid_splits(work)
        assert counts == {"train": 3 * 20 * 2, "dev": 6, "test": 6}
        leftovers = [p for p in (work / "data").rglob("*") if ".tmp" in p.name or ".old." in p.name]
        assert leftovers == []
        assert (work / "data" / "train" / "features.json").exists()
        flacs = list((work / "data" / "audio").rglob("*.flac"))
        assert len(flacs) == len({p.name.split(".")[0] for p in flacs}) == 120 + 12  # no duplicates
        if point == "stage0":  # make stage 1 run again (from no ark file at all) for the second kill
            (work / ".stamps" / "stage1.done").unlink()
            (work / "data" / "train" / "features.json").unlink()
            shutil.rmtree(work / "data" / "train" / "feats")


def test_release_through_run_sh_keeps_good_items_and_exits_0(tmp_path: Path):
    release = make_fake_release(tmp_path / "release")
    work = tmp_path / "work"
    proc = run_sh("--data_root", str(release), "--work_dir", str(work), "--nj", "2", "data.plots=false")
    assert "skipped 9 item(s)" in proc.stderr
    sources = set()
    for split in ("train", "dev", "test"):
        if (work / "data" / split).exists():
            assert validate_data_dir(work / "data" / split) == []
            sources |= {u.meta["source"] for u in read_data_dir(work / "data" / split)}
    assert sources == FAKE_KEPT
    assert (work / "data" / "train" / "feats_stats.npz").exists()


def test_a_side_lane_runs_its_stages_and_fails_the_recipe_when_one_fails(tmp_path: Path):
    """Stage 7 (robustness data) runs in the side lane beside the ASR stages: its lines come back at the join, its
    stamp stays; a failing side stage fails the recipe with the end of the side lane's log."""
    work = tmp_path / "work"
    run_sh("--work_dir", str(work), "--nj", "2", *TINY)
    done = run_sh("--work_dir", str(work), "--stage", "7", "--stop_stage", "7", *TINY)
    assert "side lane data_only_stages (stages 5 6 7 9 14) runs beside the next stages" in done.stderr
    assert "(side) " in done.stderr and "stage 7 finished in" in done.stderr
    assert (work / ".stamps" / "stage7.done").is_file() and (work / "data" / "test_conditions").is_dir()
    assert "finished in" in (work / "logs" / "data_only_stages.log").read_text()
    again = run_sh("--work_dir", str(work), "--stage", "7", "--stop_stage", "7", *TINY)
    assert "stage 7: robustness data" in again.stderr and "done earlier, skipped" in again.stderr

    (work / "data" / "test" / "wav.scp").rename(work / "data" / "test" / "wav.scp.away")
    failed = run_sh("--work_dir", str(work), "--stage", "7", "--stop_stage", "7", "--force", *TINY, check=False)
    assert failed.returncode == 2 and "side lane failed (exit 2)" in failed.stderr
    assert "wav.scp: missing" in failed.stderr and "stages 7..7 done" not in failed.stderr
    assert not (work / ".stamps" / "stage7.done").exists()


def test_without_lanes_the_stages_run_one_after_the_other(tmp_path: Path):
    work = tmp_path / "work"
    run_sh("--work_dir", str(work), "--nj", "2", *TINY)
    proc = run_sh("--work_dir", str(work), "--stage", "7", "--stop_stage", "7", "--lanes", "false", *TINY)
    assert "side lane" not in proc.stderr and "(side)" not in proc.stderr and "stage 7 finished in" in proc.stderr
    assert not (work / "logs").exists()
    bad = run_sh("--work_dir", str(work), "--lanes", "maybe", check=False)
    assert bad.returncode == 2 and "--lanes needs true or false" in bad.stderr


@pytest.mark.parametrize(
    "ngpu, stage, expected",
    [
        ("0", "3", ""),
        ("1", "3", "trainer=gpu asr=gpu_base tokenizer=gpu flow=flow_gpu t2s=nar_gpu "),
        ("2", "3", "trainer=ddp trainer.devices=2 asr=gpu_base tokenizer=gpu flow=flow_gpu t2s=nar_gpu "),
        ("0", "27", "t2s=ar_cpu "),
        ("2", "27", "trainer=ddp trainer.devices=2 asr=gpu_base tokenizer=gpu flow=flow_gpu t2s=nar_gpu t2s=ar_gpu "),
    ],
)
def test_ngpu_picks_the_trainer_and_the_gpu_sized_models(tmp_path: Path, ngpu: str, stage: str, expected: str):
    """--ngpu N >= 1 trains the GPU configurations (bf16, DDP for N > 1); the trailing overrides still come last. The
    stage fails here (no data, and no GPU for N >= 1) after logging its command line."""
    proc = run_sh("--work_dir", str(tmp_path), "--ngpu", ngpu, "--stage", stage, "--stop_stage", stage, "seed=7",
                  check=False)  # fmt: skip
    assert proc.returncode != 0
    command = next(line for line in proc.stderr.splitlines() if "command: " in line)
    assert command.endswith(f" {expected}seed=7 "), command


def test_augmented_asr_loop_oracle_row_end_to_end(tmp_path: Path):
    """Stages 30 and 38-44 on a tiny generated world with the tiny CS-ASR: generated text (none of the held-out
    sentences) spoken by the demo voices, featurised, read back and filtered, combined with train, a fine-tuned
    model, its decodings and the paired comparison with exp/asr, per split and pair."""
    work = tmp_path / "work"
    tiny = [*TINY_GENERATED, "asr=tiny", "augment=none", "asr.train.max_epochs=1"]
    run_sh("--work_dir", str(work), "--nj", "2", "--stop_stage", "4", "--lanes", "false", *tiny)
    run_sh("--work_dir", str(work), "--nj", "2", "--stage", "30", "--stop_stage", "30", "--aug_per_pair", "2", *tiny)
    aug = ["--aug_max_mer", "1000", "--aug_epochs", "1", "--aug_weight", "2"]
    run_sh("--work_dir", str(work), "--nj", "2", "--stage", "38", "--stop_stage", "44", *aug, *tiny)
    data, exp = work / "data", work / "exp"
    generated = {line.split(" ", 1)[1] for line in (data / "gen_text" / "text").read_text().splitlines()}
    held = set()
    for split in ("dev", "test", "test_novel"):
        held |= {line.split(" ", 1)[1] for line in (data / split / "text").read_text().splitlines()}
    assert generated and not generated & held
    assert {line.split()[1] for line in (data / "gen_text" / "utt2lang").read_text().splitlines()} == {"zh-en", "es-en"}
    synthetic = read_data_dir(data / "train_oracle")
    assert {u.speaker for u in synthetic} <= {u.speaker for u in read_data_dir(data / "train")}
    assert (data / "train_oracle" / "feats.scp").is_file()
    assert (exp / "asr" / "decode_train_oracle" / "per_utt.tsv").is_file()  # read back for the filter
    combined = json.loads((data / "train_mix_oracle" / "combine.json").read_text())
    assert combined["filter"] == {"max_mer": 1000.0}
    oracle = combined["sources"][1]
    assert oracle["utterances_out"] == 2 * (oracle["utterances_in"] - oracle["dropped_by_filter"])
    assert json.loads((exp / "asr_oracle" / "train_summary.json").read_text())["epochs"] == 1
    rows = [r.split("\t") for r in (exp / "asr_oracle" / "comparison.tsv").read_text().splitlines()[1:]]
    assert {(r[0], r[1]) for r in rows} >= {("test", "all"), ("test_novel", "all"), ("test_novel", "zh-en")}


def test_world_generated_runs_the_default_range_end_to_end(tmp_path: Path):
    """``world=generated`` through stages 0-26 on a tiny generated world (one epoch per model): Whisper-state ASR
    input, every evaluation on test and test_novel (CS-ASR, tokenizer, copy synthesis, resynthesis, TTS), the
    world's flow temperature in the model, and both TTS tables with their four systems."""
    work = tmp_path / "work"
    # 2 test voices (babble mixes other speakers), each with 2 utterances per split (a voice prompt is never itself)
    wider = [f"data.mini.generated.{key}=2" for key in ("test_sentences", "test_novel_sentences", "speakers.test")]
    tiny = [w for w in TINY_GENERATED if w.split("=")[0] not in {o.split("=")[0] for o in wider}] + wider
    epochs = [f"{group}.train.max_epochs=1" for group in ("asr", "tokenizer", "flow", "t2s")]
    run_sh("--work_dir", str(work), "--nj", "2", "--stop_stage", "26", "world=generated", *tiny, *epochs, timeout=1200)
    data, exp = work / "data", work / "exp"
    shape = (data / "test_novel" / "feats_shape").read_text().splitlines()[0].split()[1]
    assert shape.endswith(",512")  # Whisper base's encoder states
    assert "temperature: 0.667" in (exp / "flow" / "config.yaml").read_text()
    for split in ("test", "test_novel"):
        for decoded in (exp / "asr" / f"decode_{split}", exp / "tokenizer" / f"decode_{split}"):
            assert (decoded / "saer.json").is_file(), decoded
        for synthesised in ("flow/copysynth_", "flow/resynth_", "tts/synth_"):
            assert (exp / f"{synthesised}{split}" / "wav.scp").is_file(), synthesised
    for table, suffix in (("evaluation.json", ""), ("novel_evaluation.json", "_novel")):
        rows = json.loads((exp / "tts" / table).read_text())
        split = "test_novel" if suffix else "test"
        expected = [f"ground_truth{suffix}", f"copysynth_{split}", f"resynth_{split}", f"synth_{split}"]
        assert [r["system"] for r in rows] == expected and all(r["utterances"] == 4 for r in rows)
    assert (exp / "tts" / "samples_novel.html").is_file()
