"""The TTS evaluation a user reads, on hand-made folders (no model): the ground-truth row (the real audio judged like
a synthesis folder, with an earlier decode reused), the comparison table per language pair, the listening page
(parsed with html.parser: players per system and sentence, relative links that resolve, FLAC converted to WAV,
escaped text), and the command-line refusals of evaluate-tts and tts-samples."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf

from cstoolkit.cli.cstk import main
from cstoolkit.errors import InputFileError

#: utterance -> (speaker, language pair, text, what the CS-ASR heard)
UTTS = {
    "a1": ("A", "zh-en", "我 去 shopping <mall> & co", "我 去 shopping <mall> & co"),
    "a2": ("A", "zh-en", "买 东 西 today", "买 东 today"),
    "a3": ("A", "zh-en", "我 买 coffee", "我 买 coffee"),
    "b1": ("B", "es-en", "hola my friend", "hola my friend"),
    "b2": ("B", "es-en", "vamos al mall", "vamos al mall now"),
    "c1": ("C", "zh-en", "东 西 good", "东 西 good"),  # speaker C has one utterance: no similarity
}
VECTORS = {"A": [1.0, 0.1, 0.0], "B": [0.1, 1.0, 0.1], "C": [0.0, 0.2, 1.0]}


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def write(path: Path, table: dict[str, str]) -> None:
    path.write_text("".join(f"{k} {v}\n" for k, v in sorted(table.items())), encoding="utf-8")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A real-looking data directory: FLAC audio, text, utt2lang, utt2spk, utt_embed.scp; and ``<root>/decode`` with
    the CS-ASR's hypotheses of it."""
    root = tmp_path_factory.mktemp("gt")
    data = root / "data" / "test"
    (root / "data" / "audio").mkdir(parents=True)
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    wavs = {}
    for utt in UTTS:
        path = root / "data" / "audio" / f"{utt}.flac"
        sf.write(path, (0.2 * rng.standard_normal(8000)).astype(np.float32), 16000)
        wavs[utt] = str(path)
    write(data / "wav.scp", wavs)
    write(data / "text", {u: v[2] for u, v in UTTS.items()})
    write(data / "utt2lang", {u: v[1] for u, v in UTTS.items()})
    write(data / "utt2spk", {u: v[0] for u, v in UTTS.items()})
    with kaldiio.WriteHelper(f"ark,scp:{data / 'utt_embed.ark'},{data / 'utt_embed.scp'}") as writer:
        for k, (utt, (spk, *_)) in enumerate(sorted(UTTS.items())):
            writer(utt, unit(np.asarray(VECTORS[spk]) + 0.05 * k)[None])
    decode = root / "decode"
    decode.mkdir()
    write(decode / "hyp.txt", {u: v[3] for u, v in UTTS.items()})
    (decode / "decode.json").write_text(json.dumps({"method": "greedy"}))
    return data


@pytest.fixture(scope="module")
def cfg():
    from cstoolkit.config import load_config

    return load_config(["metric.lam=1"])  # form errors only: no sentence-embedding model


@pytest.fixture(scope="module")
def ground_truth(data, cfg) -> tuple[Path, dict]:
    from cstoolkit.tts.eval.evaluate import evaluate_ground_truth

    out = data.parent.parent / "exp" / "tts" / "ground_truth"
    return out, evaluate_ground_truth(data, out, None, None, cfg, decoded_dir=data.parent.parent / "decode")


def test_the_ground_truth_row(ground_truth, data) -> None:
    out, row = ground_truth
    assert row["system"] == "ground_truth" and row["kind"] == "ground truth" and row["rtf"] is None
    assert row["utterances"] == 6 and row["folder"] == str(out.resolve())
    saer = json.loads((out / "saer.json").read_text())
    assert row["mer"] == saer["form_error"] and 0 < row["mer"] < 0.2  # a2: one deletion, b2: one insertion
    assert set(row["per_tag"]) == {"es-en", "zh-en"}
    # units: 5 + 4 + 3 + 3 (punctuation is not a unit), 6; overall 2 errors in 21 units
    assert row["mer"] == pytest.approx(2 / 21)
    assert row["per_tag"]["zh-en"]["mer"] == pytest.approx(1 / 15) and row["per_tag"]["zh-en"]["utterances"] == 4
    assert row["per_tag"]["es-en"]["mer"] == pytest.approx(1 / 6)
    sim = json.loads((out / "similarity.json").read_text())
    assert sorted(sim["per_utterance"]) == ["a1", "a2", "a3", "b1", "b2"]  # c1: its speaker's only utterance
    real = {u: kaldiio.load_mat(p)[0] for u, p in (line.split() for line in (data / "utt_embed.scp").open())}
    own = real["a2"] + real["a3"]  # a1 itself left out of its speaker's centroid
    expected = float(real["a1"] @ own / np.linalg.norm(own))
    assert sim["per_utterance"]["a1"]["own"] == pytest.approx(expected, abs=1e-5)
    assert row["closer_to_own"] == 1.0 and row["per_tag"]["es-en"]["closer_to_own"] == 1.0
    info = json.loads((out / "synthesis.json").read_text())
    assert info["decoded"] == str((data.parent.parent / "decode").resolve())
    for name in ("wav.scp", "text", "utt2lang", "utt2spk", "hyp.txt", "decode.json"):
        assert (out / name).is_file(), name


def test_a_decode_of_other_data_is_refused(data, cfg, tmp_path) -> None:
    from cstoolkit.tts.eval.evaluate import evaluate_ground_truth

    (tmp_path / "decode").mkdir()
    write(tmp_path / "decode" / "hyp.txt", {"a1": "我"})
    with pytest.raises(InputFileError, match=r"no hypothesis for 5 utterance\(s\)"):
        evaluate_ground_truth(data, tmp_path / "out", None, None, cfg, decoded_dir=tmp_path / "decode")
    with pytest.raises(InputFileError, match="not a finished decode"):
        evaluate_ground_truth(data, tmp_path / "out", None, None, cfg, decoded_dir=tmp_path)
    assert not (tmp_path / "out").exists()


def synthesis_folder(root: Path, name: str, kind: str, utts: list[str], mer: float) -> Path:
    """A judged synthesis folder with WAV audio of ``utts`` and made-up scores."""
    folder = root / name
    (folder / "wav").mkdir(parents=True)
    for utt in utts:
        sf.write(folder / "wav" / f"{utt}.wav", np.zeros(2205, np.float32), 22050)
    write(folder / "wav.scp", {u: str(folder / "wav" / f"{u}.wav") for u in utts})
    write(folder / "text", {u: UTTS[u][2] for u in utts})
    write(folder / "utt2lang", {u: UTTS[u][1] for u in utts})
    write(folder / "hyp.txt", {u: "<i>heard</i> & more" for u in utts})
    per_tag = {
        "zh-en": {"form_error": mer, "saer": mer, "semantic_error": None, "utterances": 2},
        "es-en": {"form_error": 2 * mer, "saer": 2 * mer, "semantic_error": None, "utterances": 2},
    }
    (folder / "saer.json").write_text(
        json.dumps(
            {"utterances": len(utts), "form_error": mer, "saer": mer, "semantic_error": None, "per_tag": per_tag}
        )
    )
    per_utt = {u: {"speaker": UTTS[u][0], "own": 0.8, "others": {}, "closer_to_own": True} for u in utts}
    (folder / "similarity.json").write_text(
        json.dumps({"own_mean": 0.8, "other_mean": 0.5, "closer_to_own": 1.0, "per_utterance": per_utt})
    )
    (folder / "synthesis.json").write_text(json.dumps({"kind": kind, "rtf": 0.25}))
    return folder


@pytest.fixture(scope="module")
def table(ground_truth) -> Path:
    from cstoolkit.tts.eval.evaluate import comparison_row, write_summary

    out, gt_row = ground_truth
    exp = out.parent.parent
    some = ["a1", "a2", "b1", "b2"]
    copy = synthesis_folder(exp / "flow", "copysynth_test", "copy synthesis", some, 0.1)
    tts = synthesis_folder(exp / "tts", "synth_test", "tts", some, 0.3)
    rows = [gt_row, comparison_row(copy), comparison_row(tts)]
    write_summary(rows, exp / "tts" / "evaluation.json")
    return exp / "tts" / "evaluation.json"


def test_the_comparison_table_per_language_pair(table) -> None:
    rows = json.loads(table.read_text())
    assert [r["system"] for r in rows] == ["ground_truth", "copysynth_test", "synth_test"]
    assert rows[2]["per_tag"]["es-en"] == {
        "utterances": 2,
        "mer": 0.6,
        "saer": 0.6,
        "e_sem": None,
        "similarity_own": 0.8,
        "closer_to_own": 1.0,
    }
    header, *lines = table.with_name("evaluation_by_pair.tsv").read_text().splitlines()
    cells = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]
    assert [(c["system"], c["lang_pair"]) for c in cells] == [
        (s, p) for s in ("ground_truth", "copysynth_test", "synth_test") for p in ("all", "es-en", "zh-en")
    ]
    tts_es = next(c for c in cells if c["system"] == "synth_test" and c["lang_pair"] == "es-en")
    assert tts_es["mer"] == "0.6000" and tts_es["rtf"] == "0.2500" and tts_es["e_sem"] == "-"
    assert table.with_suffix(".tsv").is_file()


class PageParser(HTMLParser):
    """What the listening page holds: audio sources, section ids, table rows, and the text of each sentence."""

    def __init__(self) -> None:
        super().__init__()
        self.audio: list[str] = []
        self.sections: list[str] = []
        self.rows: dict[str, int] = {}
        self.texts: list[str] = []
        self._table: list[str] = []
        self._in_text = False

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "audio":
            assert "controls" in attrs
            self.audio.append(attrs["src"])
        elif tag == "section":
            self.sections.append(attrs["id"])
        elif tag == "table":
            self._table.append(attrs.get("class", ""))
        elif tag == "tr":
            self.rows[self._table[-1]] = self.rows.get(self._table[-1], 0) + 1
        elif tag == "div" and attrs.get("class") == "text":
            self._in_text = True
            self.texts.append("")

    def handle_endtag(self, tag) -> None:
        if tag == "table":
            self._table.pop()
        elif tag == "div":
            self._in_text = False

    def handle_data(self, data) -> None:
        if self._in_text:
            self.texts[-1] += data


def test_the_listening_page(table, capsys) -> None:
    page = table.with_name("samples.html")
    assert main(["tts-samples", "--table", str(table), "--out", str(page)]) == 0
    assert capsys.readouterr().out.strip() == f"{page}: 4 sentences of 2 language pairs"
    raw = page.read_text(encoding="utf-8")
    parser = PageParser()
    parser.feed(raw)
    assert parser.sections == ["es-en", "zh-en"]
    assert parser.rows["overall"] == 4 and parser.rows["per-pair"] == 1 + 3 * 2  # header + systems x pairs
    assert parser.rows["players"] == 4 * 3  # sentences x systems
    # sentences every system has: b1, b2 (es-en) and a1, a2 (zh-en), never a3 / c1 (ground truth only)
    assert sorted(parser.texts) == sorted(UTTS[u][2] for u in ("a1", "a2", "b1", "b2"))
    assert "&lt;mall&gt; &amp; co" in raw and "<mall>" not in raw and "&lt;i&gt;heard&lt;/i&gt; &amp; more" in raw
    assert len(parser.audio) == 12
    for src in parser.audio:
        assert not src.startswith(("/", "file:")) and "://" not in src
        target = page.parent / src
        assert target.is_file() and target.suffix == ".wav", src
        assert sf.info(str(target)).format == "WAV"
    truth = [s for s in parser.audio if s.startswith("samples_audio/ground_truth/")]
    assert len(truth) == 4  # the FLAC ground truth, converted beside the page
    assert sum(s.startswith("../flow/copysynth_test/wav/") for s in parser.audio) == 4
    assert sum(s.startswith("synth_test/wav/") for s in parser.audio) == 4


def test_refused_command_lines_are_one_line(data, table, tmp_path, capsys) -> None:
    def refused(args: list[str], prog: str) -> str:
        assert main(args) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"cstk {prog}: error: "), err
        return err[0]

    base = ["evaluate-tts", "--data-dir", str(data), "--asr-dir", str(tmp_path / "no_asr")]
    assert "nothing to judge" in refused(base, "evaluate-tts")
    assert "--ground-truth needs --ground-truth-out" in refused([*base, "--ground-truth", str(data)], "evaluate-tts")
    message = refused([*base, "--judged-dir", str(tmp_path)], "evaluate-tts")
    assert "saer.json: missing: not a judged folder" in message
    (tmp_path / "bad.json").write_text("{")
    message = refused(
        ["tts-samples", "--table", str(tmp_path / "bad.json"), "--out", str(tmp_path / "p.html")], "tts-samples"
    )
    assert "not readable" in message and not (tmp_path / "p.html").exists()
    (tmp_path / "old.json").write_text(json.dumps([{"system": "x", "mer": 0.1}]))
    message = refused(
        ["tts-samples", "--table", str(tmp_path / "old.json"), "--out", str(tmp_path / "p.html")], "tts-samples"
    )
    assert "names no folder" in message
