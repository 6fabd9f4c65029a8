"""Helpers shared by the data and recipe tests: test signals, real .m4a files, a tiny demo-corpus config."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: a demo corpus of a handful of sentences (never the full one in tests): the templates source (its sizes and
#: speakers are what the tests count), since the default source (``generated``) is sized by data.mini.generated.*
TINY_MINI = [
    "data.mini.sentences=templates",
    "data.mini.pairs=[zh-en,ja-en,de-en]",
    "data.mini.train_sentences=4",
    "data.mini.dev_sentences=1",
    "data.mini.test_sentences=1",
    "data.plots=false",
]


def tone(seconds: float, rate: int, freq: float = 220.0, seed: int = 0) -> np.ndarray:
    """A speech-like test signal: a harmonic tone with a little noise, amplitude-modulated."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    wave = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, 6))
    wave *= 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    return (0.3 * wave / np.abs(wave).max() + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def write_m4a(path: Path, seconds: float, rate: int = 48000, seed: int = 0) -> Path:
    """A real AAC-LC .m4a (mono, 48 kHz by default) written with PyAV, like the SwitchLingua release."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    samples = tone(seconds, rate, seed=seed)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        for start in range(0, samples.size, 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


#: what the fake release must produce: kept source files, and skipped items with a word of their reason
FAKE_KEPT = {
    "Mandarin/1_0.m4a",
    "Mandarin/1_1.m4a",
    "Mandarin/2_0.m4a",
    "Mandarin/3_0.m4a",
    "Mandarin/4_0.m4a",
    "German/10_0.m4a",
    "German/11_0.m4a",
    "German/12_0.m4a",
    "Cantonese/5_0.m4a",
    "Russian/7_0.m4a",
    "Russian/8_0.m4a",
}
FAKE_SKIPPED = {
    "German/37_2.m4a": "corrupt audio",
    "Mandarin/6_0.m4a": "audio file missing",
    "Mandarin/9_0.m4a": "audio/text mismatch",
    "German/13_0.m4a": "empty transcript",
    "Cantonese/5_1.m4a": "unparseable dict-like text",
    "Spanish.csv": "lacks column",
    "Spanish/1_0.m4a": "audio without a usable csv row",
    "Russian/7_0.m4a": "duplicate row (kept Russian.csv:2)",
    "Korean/1_0.m4a": "text is not ko-English",
}


def make_fake_release(root: Path) -> Path:
    """A SwitchLingua-shaped release with every known defect (see FAKE_KEPT / FAKE_SKIPPED for the outcome).

    - Mandarin.csv: columns file_name/text/first_language, markdown emphasis, one missing audio file,
      one audio/text mismatch (a long text on 0.6 s of audio);
    - German.csv: other spellings ("filename", "first Language"), the corrupt German/37_2.m4a, an empty text;
    - Cantonese.csv: a multi-turn dict-like text (kept, turns joined) and an unparseable one;
    - French.csv: holds a Russian row (moved to ru-en); Russian.csv holds the same row again (duplicate);
    - Spanish.csv: no text column (whole csv skipped), its audio reported as unused;
    - Korean.csv: no language column, a row mixing Cyrillic and Han (not Korean-English): skipped.
    """
    m4a = lambda rel, sec, seed=0: write_m4a(root / rel, sec, seed=seed)  # noqa: E731
    head = ["file_name", "text", "first_language", "second_language", "conversation_type", "topic"]
    _csv(
        root / "Mandarin.csv",
        head,
        [
            ["1_0.m4a", "我今天去 **shopping mall** 买东西", "Mandarin", "English", "single_turn", "daily"],
            ["1_1.m4a", "我今天去 shopping mall 买东西", "Mandarin", "English", "single_turn", "daily"],
            ["2_0.m4a", "这个 project 真的很重要", "Mandarin", "English", "single_turn", "work"],
            ["3_0.m4a", "我们明天有一个 meeting", "Mandarin", "English", "single_turn", "work"],
            ["4_0.m4a", "你可以帮我 check 一下吗", "Mandarin", "English", "single_turn", "work"],
            ["6_0.m4a", "这个文件不见了", "Mandarin", "English", "single_turn", "work"],
            [
                "9_0.m4a",
                "这是一个非常非常长的句子但是音频只有半秒钟所以它们对不上 really really long",
                "Mandarin",
                "English",
                "single_turn",
                "work",
            ],
        ],
    )
    for i, rel in enumerate(
        ("Mandarin/1_0.m4a", "Mandarin/1_1.m4a", "Mandarin/2_0.m4a", "Mandarin/3_0.m4a", "Mandarin/4_0.m4a")
    ):
        m4a(rel, 2.0, seed=i)
    m4a("Mandarin/9_0.m4a", 0.6)
    _csv(
        root / "German.csv",
        ["filename", "Text", "first Language", "second Language"],
        [
            ["10_0.m4a", "Das project ist sehr wichtig", "German", "English"],
            ["11_0.m4a", "Ich muss noch das report schicken", "German", "English"],
            ["12_0.m4a", "Wir haben morgen ein __meeting__", "German", "English"],
            ["37_2.m4a", "Das budget ist fertig", "German", "English"],
            ["13_0.m4a", "  ", "German", "English"],
        ],
    )
    for i, rel in enumerate(("German/10_0.m4a", "German/11_0.m4a", "German/12_0.m4a", "German/13_0.m4a")):
        m4a(rel, 2.0, seed=10 + i)
    (root / "German" / "37_2.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 8)
    _csv(
        root / "Cantonese" / "Cantonese.csv",
        ["audio_file", "data_generation_result", "conversation_type"],
        [
            ["5_0.m4a", "{'speaker1': '我哋聽日有個 meeting', 'speaker2': '好呀 no problem'}", "multi_turn"],
            ["5_1.m4a", "{'speaker1': '我哋聽日有個 meeting', 'speaker2': ", "multi_turn"],
        ],
    )
    m4a("Cantonese/5_0.m4a", 3.0)
    m4a("Cantonese/5_1.m4a", 3.0)
    _csv(root / "French.csv", head, [["7_0.m4a", "Сегодня у нас meeting", "Russian", "English", "single_turn", "x"]])
    _csv(
        root / "Russian.csv",
        head,
        [
            ["7_0.m4a", "Сегодня у нас meeting", "Russian", "English", "single_turn", "x"],
            ["8_0.m4a", "Этот project очень важный", "Russian", "English", "single_turn", "x"],
        ],
    )
    m4a("Russian/7_0.m4a", 2.0)
    m4a("Russian/8_0.m4a", 2.0)
    _csv(root / "Spanish.csv", ["file_name", "topic"], [["1_0.m4a", "daily"]])
    m4a("Spanish/1_0.m4a", 1.0)
    _csv(root / "Korean.csv", ["path", "transcript"], [["1_0.m4a", "Сегодня 我去 gym"]])
    m4a("Korean/1_0.m4a", 2.0)
    return root


CORRUPT_SR = 16000


def make_data_dir(root: Path, speakers: int = 3, per_speaker: int = 2, seconds: float = 0.4) -> Path:
    """A valid data directory of short tone/noise utterances (``spkN-uttM``), text "你好 hello <s> <u>"."""
    import soundfile as sf

    from cstoolkit.data.kaldi_dir import Utterance, write_data_dir

    rng = np.random.default_rng(0)
    utts = []
    for s in range(speakers):
        for u in range(per_speaker):
            t = np.arange(int(seconds * CORRUPT_SR)) / CORRUPT_SR
            wav = 0.2 * np.sin(2 * np.pi * (150 + 60 * s + 20 * u) * t) + 0.01 * rng.standard_normal(t.size)
            path = root / "audio" / f"spk{s}-utt{u}.flac"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, wav.astype(np.float32), CORRUPT_SR, subtype="PCM_16")
            text = f"你好 hello {s} {u}"
            segments = [{"lang": "zh", "text": "你好"}, {"lang": "en", "text": f"hello {s} {u}"}]
            utts.append(Utterance(f"spk{s}-utt{u}", f"spk{s}", str(path), text, "zh-en", seconds, segments))
    return write_data_dir(root / "data" / "test", utts)
