"""prepare_switchlingua on a fake release (real AAC .m4a written with PyAV) holding every known defect."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1]))
from data_helpers import FAKE_KEPT, FAKE_SKIPPED, make_fake_release

from cstoolkit.config import load_config
from cstoolkit.data.corpora.switchlingua import clean_text, find_columns, parse_text
from cstoolkit.data.kaldi_dir import read_data_dir
from cstoolkit.data.prepare import prepare
from cstoolkit.data.validate import validate_data_dir


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    make_fake_release(root)
    out = tmp_path_factory.mktemp("work") / "data"
    report = prepare(root, out, load_config(["data.plots=true"]).data, num_jobs=2)
    return root, out, report


def test_every_good_item_is_kept(prepared):
    _, out, _ = prepared
    utts = [u for split in ("train", "dev", "test") if (out / split).exists() for u in read_data_dir(out / split)]
    assert {u.meta["source"] for u in utts} == FAKE_KEPT
    assert len({u.id for u in utts}) == len(utts)


def test_every_bad_item_is_skipped_with_its_reason(prepared):
    _, _, report = prepared
    got = {item["item"]: item["reason"] for item in report["skipped_items"]}
    for item, reason in FAKE_SKIPPED.items():
        assert item in got and reason in got[item], (item, got.get(item))
    assert report["kept"] == len(FAKE_KEPT)
    assert report["skipped"] == len(report["skipped_items"]) == len(FAKE_SKIPPED)
    on_disk = json.loads((prepared[1] / "prepare_report.json").read_text())
    assert on_disk["skipped_by_reason"]["corrupt audio"] == 1


def test_transcripts_are_cleaned_and_tagged(prepared):
    _, out, _ = prepared
    utts = {u.meta["source"]: u for s in ("train", "dev", "test") if (out / s).exists() for u in read_data_dir(out / s)}
    assert utts["Mandarin/1_0.m4a"].text == "我今天去 shopping mall 买东西"
    assert utts["Mandarin/1_0.m4a"].segments[1] == {"lang": "en", "text": "shopping mall"}
    assert utts["German/12_0.m4a"].text == "Wir haben morgen ein meeting"
    assert utts["Cantonese/5_0.m4a"].text == "我哋聽日有個 meeting 好呀 no problem"
    assert utts["Cantonese/5_0.m4a"].lang == "yue-en"
    assert utts["Russian/7_0.m4a"].lang == "ru-en" and utts["Russian/7_0.m4a"].meta["topic"] == "x"
    assert utts["German/10_0.m4a"].lang == "de-en" and utts["German/10_0.m4a"].meta["first_language"] == "German"
    flac = sf.info(utts["German/10_0.m4a"].audio)
    assert (flac.samplerate, flac.channels, flac.format) == (16000, 1, "FLAC")
    assert abs(utts["German/10_0.m4a"].duration - 2.0) < 0.05


def test_splits_valid_and_disjoint_by_source_text(prepared):
    _, out, report = prepared
    owner = {}
    for split in ("train", "dev", "test"):
        if not (out / split).exists():
            continue
        assert validate_data_dir(out / split) == []
        for utt in read_data_dir(out / split):
            group = utt.lang + utt.meta["source"].split("/")[1].split("_")[0]
            assert owner.setdefault(group, split) == split
    assert report["splits"]["train"]["utterances"] > 0 and report["splits"]["test"]["utterances"] > 0
    assert (out / "plots" / "switchlingua_lang_pairs.png").stat().st_size > 1000


def test_rerun_reuses_converted_audio_and_gives_the_same_result(prepared):
    root, out, report = prepared
    flacs = {p: p.stat().st_mtime_ns for p in (out / "audio").rglob("*.flac")}
    again = prepare(root, out, load_config(["data.plots=false"]).data, num_jobs=1)
    assert {p: p.stat().st_mtime_ns for p in (out / "audio").rglob("*.flac")} == flacs
    assert again["splits"] == report["splits"]


def test_cli_on_release_exit_0_and_bad_root_one_line_exit_2(prepared, tmp_path: Path):
    root, _, _ = prepared
    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "prepare", "--work_dir", str(tmp_path), "--nj", "1"]
    ok = subprocess.run([*cmd, "--data_root", str(root), "data.plots=false"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "skipped 9 item(s)" in ok.stderr and "German/37_2.m4a: corrupt audio" in ok.stderr
    bad = subprocess.run([*cmd, "--data_root", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "nowhere" in bad.stderr and "not found" in bad.stderr


def test_column_spellings_and_text_parsing():
    cols = find_columns(["File Name", "first Language", "Data-Generation-Result"])
    assert cols == {"file": "File Name", "text": "Data-Generation-Result", "first_language": "first Language"}
    assert parse_text('[{"role": "A", "content": "hi"}, {"role": "B", "content": "there"}]', "join") == "hi there"
    with pytest.raises(ValueError, match="multi-turn"):
        parse_text("{'a': 'x', 'b': 'y'}", "skip")
    assert parse_text("{'a': 'only one'}", "skip") == "only one"
    assert clean_text("  我去 **gym**  __now__ *really*  ", "join") == "我去 gym now really"
    assert clean_text("snake_case stays", "join") == "snake_case stays"


def test_moved_duplicate_row_is_reported_once(prepared):
    _, _, report = prepared
    about = [n for n in report["notes"] if n["item"] == "Russian/7_0.m4a"]
    assert about == [], about


def test_speaker_ids_with_dashes_sort_like_their_utterances(tmp_path: Path):
    from data_helpers import _csv, write_m4a

    from cstoolkit.data.corpora.switchlingua import speaker_part

    assert speaker_part("S1-2") != speaker_part("S1_2") and "-" not in speaker_part("S1-2 x")
    root = tmp_path / "release"
    speakers = {0: "S1", 1: "S1-2", 5: "S1", 3: "S1-2", 9: "S1-3"}  # S1's 5_0 sorts after S1-2's utterances
    rows = [[f"{i}_0.m4a", "我今天去 shopping mall 买东西", spk] for i, spk in speakers.items()]
    _csv(root / "Mandarin.csv", ["file_name", "text", "speaker"], rows)
    for i in speakers:
        write_m4a(root / "Mandarin" / f"{i}_0.m4a", 2.0, seed=i)
    cfg = load_config(["data.plots=false", "data.switchlingua.dev_ratio=0", "data.switchlingua.test_ratio=0"]).data
    report = prepare(root, tmp_path / "data", cfg, num_jobs=1)
    assert report["splits"]["train"]["utterances"] == 5 and report["splits"]["train"]["speakers"] == 3
    assert validate_data_dir(tmp_path / "data" / "train") == []


def test_invalid_utf8_costs_only_its_row(tmp_path: Path):
    from data_helpers import write_m4a

    root = tmp_path / "release"
    root.mkdir()
    lines = ["file_name,text", "0_0.m4a,我今天去 shopping mall 买东西", "1_0.m4a,这个 project 真的很重要"]
    tail = "3_0.m4a,我们明天有一个 meeting\n".encode()
    data = "\n".join(lines).encode() + b"\n2_0.m4a,bad \xff byte \xe4\xbd\n" + tail
    (root / "Mandarin.csv").write_bytes(data)
    for i in range(4):
        write_m4a(root / "Mandarin" / f"{i}_0.m4a", 2.0, seed=i)
    cfg = load_config(["data.plots=false", "data.switchlingua.dev_ratio=0", "data.switchlingua.test_ratio=0"]).data
    report = prepare(root, tmp_path / "data", cfg, num_jobs=1)
    assert report["kept"] == 3
    bad = [s for s in report["skipped_items"] if "UTF-8" in s["reason"]]
    assert [(s["item"], s["line"]) for s in bad] == [("Mandarin.csv:4", 4)], report["skipped_items"]
    json.dumps(report)  # nothing undecodable left in the report
