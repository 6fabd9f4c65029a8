"""Synthetic training speech: generated sentences given to a data directory's speakers, spoken by an engine,
written as a data directory marked synthetic; held-out sentences refused; frame overlap reported; espeak oracle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cstoolkit.data.kaldi_dir import read_kaldi_file, read_segments
from cstoolkit.data.synthetic import (
    REPORT_FILE,
    SOURCE_FILE,
    assign_speakers,
    make_synthetic_dir,
    read_sentences,
)
from cstoolkit.errors import InputFileError


def _generated(out: Path, pairs: str = "zh-en,ar-en,de-en", per_pair: int = 3) -> Path:
    from cstoolkit.text.generate import Settings, generate
    from cstoolkit.text.generate.output import write_output

    kinds = ("insertion", "alternation", "congruent")
    result = generate(Settings(pairs=tuple(pairs.split(",")), kinds=kinds, per_pair=per_pair, seed=3))
    write_output(out, result)
    return out


def _speakers(folder: Path, speakers: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "utt2spk").write_text("".join(f"{s}-u{i} {s}\n" for s in speakers for i in range(2)))
    (folder / "text").write_text("".join(f"{s}-u{i} hello {s} {i}\n" for s in speakers for i in range(2)))
    return folder


class ToneEngine:
    """A test engine: each script as a short tone (its length from the text), and one left out by name."""

    def __init__(self, leave_out: str = "") -> None:
        self.calls = 0
        self.leave_out = leave_out

    def __call__(self, scripts, audio_dir: Path):
        self.calls += 1
        audio_dir.mkdir(parents=True, exist_ok=True)
        out, skipped = {}, {}
        for s in scripts:
            if self.leave_out and self.leave_out in s.id:
                skipped[s.id] = "nothing speakable"
                continue
            path = audio_dir / f"{s.id}.wav"
            sf.write(path, 0.1 * np.sin(np.arange(1600 + 10 * len(s.text)) / 5).astype(np.float32), 16000)
            out[s.id] = str(path)
        return out, skipped


def test_sentences_go_to_speakers_in_turn_per_pair(tmp_path) -> None:
    sentences = read_sentences(_generated(tmp_path / "gen"))
    scripts = assign_speakers(sentences, ["s1", "s2"])
    assert len(scripts) == len(sentences)
    by_pair: dict[str, list[str]] = {}
    for s in scripts:
        by_pair.setdefault(s.lang, []).append(s.speaker)
        assert s.id == f"{s.speaker}-{s.meta['sentence']}" and s.meta["frame"] and s.meta["kind"]
    for index, (_, speakers) in enumerate(sorted(by_pair.items())):
        assert speakers == [["s1", "s2"][(k + index) % 2] for k in range(len(speakers))]


def test_synthetic_dir_is_a_marked_data_dir_with_a_report(tmp_path) -> None:
    gen = _generated(tmp_path / "gen")
    train = _speakers(tmp_path / "data" / "train", ["spkA", "spkB", "spkC"])
    engine = ToneEngine(leave_out="-gen-de-en-")
    report = make_synthetic_dir(gen, train, tmp_path / "data" / "train_tts", engine, "tts")
    out = tmp_path / "data" / "train_tts"
    texts = read_kaldi_file(out / "text")
    assert texts and not any("-gen-de-en-" in u for u in texts)  # left out by the engine, and reported
    assert set(report["skipped"]) and all("-gen-de-en-" in u for u in report["skipped"])
    assert set(read_kaldi_file(out / SOURCE_FILE).values()) == {"tts"}
    assert set(read_kaldi_file(out / "utt2spk").values()) <= {"spkA", "spkB", "spkC"}
    assert set(read_segments(out / "utt2seg.jsonl")) == set(texts)
    for path in read_kaldi_file(out / "wav.scp").values():
        assert Path(path).is_file() and Path(path).is_relative_to(tmp_path / "data" / "audio" / "train_tts")
    assert json.loads((out / REPORT_FILE).read_text())["utterances"] == len(texts) == report["utterances"]
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert all(m["source"] == "tts" and m["frame"] for m in manifest)


def test_held_out_sentence_is_refused_before_anything_is_spoken(tmp_path) -> None:
    gen = _generated(tmp_path / "gen")
    train = _speakers(tmp_path / "train", ["spkA"])
    test = tmp_path / "test"
    test.mkdir()
    one = next(iter(read_kaldi_file(gen / "text").values()))
    (test / "text").write_text(f"t1 {one.upper()}\n")  # equal after SAER normalisation
    engine = ToneEngine()
    with pytest.raises(InputFileError, match="held-out"):
        make_synthetic_dir(gen, train, tmp_path / "out", engine, "tts", held_out=[test])
    assert engine.calls == 0 and not (tmp_path / "out").exists()


def test_frame_overlap_with_a_held_out_set_is_counted(tmp_path) -> None:
    gen = _generated(tmp_path / "gen")
    train = _speakers(tmp_path / "train", ["spkA"])
    records = [json.loads(x) for x in (gen / "sentences.jsonl").read_text().splitlines()]
    frames = [r["source"] for r in records]
    test = tmp_path / "test"
    test.mkdir()
    (test / "text").write_text("t1 a sentence nobody generated\nt2 another one\n")
    (test / "manifest.jsonl").write_text(
        json.dumps({"id": "t1", "frame": frames[0]}) + "\n" + json.dumps({"id": "t2", "frame": "no such frame"}) + "\n"
    )
    report = make_synthetic_dir(gen, train, tmp_path / "out", ToneEngine(), "tts", held_out=[test])
    overlap = report["frame_overlap"]["test"]
    assert overlap["its_frames"] == 2 and overlap["its_frames_covered"] == 1
    assert overlap["generated_sentences_of_its_frames"] == frames.count(frames[0])
    assert overlap["its_utterances_of_covered_frames"] == 1 and overlap["its_utterances"] == 2


def test_max_sentences_keeps_every_pair(tmp_path) -> None:
    gen = _generated(tmp_path / "gen")
    train = _speakers(tmp_path / "train", ["spkA"])
    report = make_synthetic_dir(gen, train, tmp_path / "out", ToneEngine(), "tts", limit=6)
    assert report["utterances"] == 6 and set(report["per_pair"]) == {"zh-en", "ar-en", "de-en"}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_oracle_speaks_in_the_demo_voices_and_refuses_others(tmp_path) -> None:
    from cstoolkit.config import load_config
    from cstoolkit.data.corpora.mini_voices import make_voices
    from cstoolkit.data.prepare import corpus_config
    from cstoolkit.data.synthetic import espeak_engine

    cfg = corpus_config(load_config(["data.mini.sentences=generated"]).data, "mini")
    voices = make_voices(cfg).speakers["train"][:2]
    gen = _generated(tmp_path / "gen", pairs="es-en", per_pair=1)
    train = _speakers(tmp_path / "train", [v["id"] for v in voices])
    report = make_synthetic_dir(gen, train, tmp_path / "out", espeak_engine(cfg), "espeak")
    assert report["utterances"] >= 2 and report["hours"] > 0
    for path in read_kaldi_file(tmp_path / "out" / "wav.scp").values():
        info = sf.info(path)
        assert info.samplerate == cfg["sample_rate"] and info.duration > 0.3
    stranger = _speakers(tmp_path / "strangers", ["nobody"])
    with pytest.raises(InputFileError, match="not a voice of the demo world"):
        make_synthetic_dir(gen, stranger, tmp_path / "out2", espeak_engine(cfg), "espeak")
