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
    assert row["own_first"] == 1.0 and row["per_tag"]["es-en"]["own_first"] == 1.0
    # every utterance ranked among all three speakers (C, with its only utterance left out, is still a candidate)
    assert row["speakers"] == sim["speakers"] == 3 and row["per_tag"]["es-en"]["speakers"] == 3
    assert all(
        r["rank"] == 1 and set(r["others"]) | {r["speaker"]} == {"A", "B", "C"} for r in sim["per_utterance"].values()
    )
    assert row["margin"] == sim["margin_mean"] > 0 and row["similarity_best_other"] == sim["best_other_mean"]
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


def synthesis_folder(root: Path, name: str, kind: str, hyps: dict[str, str], sim: dict, cfg) -> Path:
    """A judged synthesis folder with WAV audio of the utterances of ``hyps``, what the CS-ASR heard scored for real
    (``saer.json``) and the given per-utterance speaker similarity."""
    from cstoolkit.asr.score import score_decoding

    folder = root / name
    (folder / "wav").mkdir(parents=True)
    utts = sorted(hyps)
    for utt in utts:
        sf.write(folder / "wav" / f"{utt}.wav", np.zeros(2205, np.float32), 22050)
    write(folder / "wav.scp", {u: str(folder / "wav" / f"{u}.wav") for u in utts})
    write(folder / "text", {u: UTTS[u][2] for u in utts})
    write(folder / "utt2lang", {u: UTTS[u][1] for u in utts})
    write(folder / "hyp.txt", hyps)
    score_decoding(folder, folder, cfg.metric, name)
    rows = [sim[u] for u in utts]
    summary = {
        "utterances": len(rows),
        "speakers": 1 + max(len(r["others"]) for r in rows),
        "own_mean": round(float(np.mean([r["own"] for r in rows])), 5),
        "best_other_mean": round(float(np.mean([max(r["others"].values()) for r in rows])), 5),
        "margin_mean": round(float(np.mean([r["margin"] for r in rows])), 5),
        "own_first": round(float(np.mean([r["own_first"] for r in rows])), 5),
    }
    (folder / "similarity.json").write_text(json.dumps({**summary, "per_utterance": {u: sim[u] for u in utts}}))
    (folder / "synthesis.json").write_text(json.dumps({"kind": kind, "rtf": 0.25}))
    return folder


#: what the CS-ASR heard from the TTS
TTS_HYPS = {"a1": "<i>heard</i> & more", "a2": "买 东 西", "b1": "hola friend", "b2": "vamos al mall"}
TTS_OWN = {"a1": 0.7, "a2": 0.62, "b1": 0.55, "b2": 0.66}
#: the TTS's cosine to the other two speakers of the reference directory: the best other at 0.6
TTS_OTHERS = {"A": {"B": 0.6, "C": 0.3}, "B": {"A": 0.6, "C": 0.3}}


def tts_similarity(utt: str, own: float) -> dict:
    speaker = UTTS[utt][0]
    return {
        "speaker": speaker,
        "own": own,
        "others": TTS_OTHERS[speaker],
        "rank": 1 if own > 0.6 else 2,
        "own_first": own > 0.6,
        "margin": round(own - 0.6, 5),
    }


@pytest.fixture(scope="module")
def table(ground_truth, cfg) -> Path:
    """ground truth; copy synthesis, the same transcripts and similarity as ground truth for a1, a2, b1, b2; TTS."""
    from cstoolkit.tts.eval.evaluate import comparison_row
    from cstoolkit.tts.eval.stats import add_comparisons
    from cstoolkit.tts.eval.table import write_summary

    out, gt_row = ground_truth
    exp = out.parent.parent
    some = ["a1", "a2", "b1", "b2"]
    truth_sim = json.loads((out / "similarity.json").read_text())["per_utterance"]
    copy_hyps = {u: UTTS[u][3] for u in some}
    copy = synthesis_folder(exp / "flow", "copysynth_test", "copy synthesis", copy_hyps, truth_sim, cfg)
    tts_sim = {u: tts_similarity(u, v) for u, v in TTS_OWN.items()}
    tts = synthesis_folder(exp / "tts", "synth_test", "tts", TTS_HYPS, tts_sim, cfg)
    rows = add_comparisons([gt_row, comparison_row(copy), comparison_row(tts)])
    write_summary(rows, exp / "tts" / "evaluation.json")
    return exp / "tts" / "evaluation.json"


def test_the_comparison_table_per_language_pair(table) -> None:
    rows = json.loads(table.read_text())
    assert [r["system"] for r in rows] == ["ground_truth", "copysynth_test", "synth_test"]
    saer = json.loads((Path(rows[2]["folder"]) / "saer.json").read_text())
    es_en = rows[2]["per_tag"]["es-en"]
    assert {k: v for k, v in es_en.items() if k != "ci"} == {
        "utterances": 2,
        "mer": saer["per_tag"]["es-en"]["form_error"],
        "saer": saer["per_tag"]["es-en"]["saer"],
        "e_sem": None,
        "speakers": 3,
        "similarity_own": pytest.approx((0.55 + 0.66) / 2),
        "own_first": 0.5,  # b1 behind A, b2 first
        "margin": pytest.approx((-0.05 + 0.06) / 2),
    }
    assert es_en["mer"] == pytest.approx(1 / 6)  # b1: one deletion of 3 units, b2 heard right
    assert set(es_en["ci"]) == {"mer", "saer", "similarity_own", "own_first", "margin"}  # no E_sem at lambda 1
    for key, interval in es_en["ci"].items():  # two utterances: wide intervals, still around the point value
        assert interval["low"] <= es_en[key] <= interval["high"], key
    header, *lines = table.with_name("evaluation_by_pair.tsv").read_text().splitlines()
    cells = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]
    assert [(c["system"], c["lang_pair"]) for c in cells] == [
        (s, p) for s in ("ground_truth", "copysynth_test", "synth_test") for p in ("all", "es-en", "zh-en")
    ]
    tts_es = next(c for c in cells if c["system"] == "synth_test" and c["lang_pair"] == "es-en")
    assert tts_es["mer"] == "0.1667" and tts_es["rtf"] == "0.2500" and tts_es["e_sem"] == "-"
    low, high = es_en["ci"]["mer"]["low"], es_en["ci"]["mer"]["high"]
    assert tts_es["mer_ci"] == f"[{low:.4f}, {high:.4f}]" and tts_es["e_sem_ci"] == "-"
    assert table.with_suffix(".tsv").is_file()


def test_intervals_and_p_values_of_the_table(table) -> None:
    rows = json.loads(table.read_text())
    for row in rows:
        assert set(row["ci"]) == {"mer", "saer", "similarity_own", "similarity_best_other", "own_first", "margin"}
        for key, interval in row["ci"].items():
            low, high = interval["low"] - 1e-9, interval["high"] + 1e-9  # a constant's resampled mean: float noise
            assert interval["level"] == 0.95 and low <= row[key] <= high, (row["system"], key)
    truth, copy, tts = rows
    assert truth["vs"] is None and truth["comparisons"] == []
    # copy synthesis heard and sounding exactly like the ground truth on its four utterances: no difference
    assert copy["vs"] == "ground_truth" and copy["p_values"] == dict.fromkeys(
        ("mer", "saer", "similarity_own", "own_first", "margin"), 1.0
    )
    same = copy["comparisons"][0]
    assert same["utterances"] == 4 and same["similarity_utterances"] == 4 and same["test"] == "paired bootstrap"
    assert all(d["delta"] == 0 for d in same["differences"].values())
    # TTS against copy synthesis (no resynthesis in this table) and against ground truth, over a1, a2, b1, b2
    assert [c["vs"] for c in tts["comparisons"]] == ["copysynth_test", "ground_truth"] and tts["vs"] == "copysynth_test"
    for comparison in tts["comparisons"]:
        mer = comparison["differences"]["mer"]
        assert mer["b"] == tts["mer"] and mer["delta"] > 0 and mer["ci"]["low"] <= mer["delta"] <= mer["ci"]["high"]
        assert 0 < mer["p_value"] <= 1 and comparison["differences"]["similarity_own"]["delta"] < 0
    assert tts["p_values"]["mer"] == tts["comparisons"][0]["differences"]["mer"]["p_value"]
    header, *lines = table.with_suffix(".tsv").read_text().splitlines()
    columns = header.split("\t")
    assert columns[columns.index("rtf") + 1 :][:6] == [
        "vs",
        "p_mer",
        "p_saer",
        "p_similarity_own",
        "p_own_first",
        "p_margin",
    ]
    assert columns[columns.index("utterances") + 1] == "speakers"
    cells = [dict(zip(columns, line.split("\t"), strict=True)) for line in lines]
    assert [c["vs"] for c in cells] == ["-", "ground_truth", "copysynth_test"] and cells[1]["p_mer"] == "1.0000"
    header, *lines = table.with_name("evaluation_comparisons.tsv").read_text().splitlines()
    pairs = [tuple(line.split("\t")[:3]) for line in lines]
    assert pairs == [
        ("copysynth_test", "ground_truth", "4"),
        ("synth_test", "copysynth_test", "4"),
        ("synth_test", "ground_truth", "4"),
    ]


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
    assert parser.rows["comparisons"] == 1 + 3  # copy vs ground truth, TTS vs copy and vs ground truth
    # every number with its interval: the TTS's MER and its 95% interval
    tts = json.loads(table.read_text())[2]
    interval = f"[{tts['ci']['mer']['low']:.3f}, {tts['ci']['mer']['high']:.3f}]"
    assert f'{tts["mer"]:.3f}<br><span class="ci">{interval}</span>' in raw
    assert "95% percentile-bootstrap interval" in raw and "p = 1.000" in raw
    # speaker similarity as a user reads it: own speaker first among the 3 speakers, the margin to the best other
    assert (
        "<th>own first (of 3)</th>" in raw and "<th>margin</th>" in raw and "<th>&Delta; own first (of 3)</th>" in raw
    )
    assert f'{tts["own_first"]:.0%}<br><span class="ci">' in raw and f"{tts['margin']:+.3f}" in raw
    assert "closer to own" not in raw
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


def test_the_results_table_of_the_readme(table, tmp_path) -> None:
    """scripts/results_table.py: own speaker first among the N speakers and the margin, N in the header; a table
    written before ranks (closer_to_own) still reads."""
    import importlib.util

    path = Path(__file__).resolve().parents[3] / "scripts" / "results_table.py"
    spec = importlib.util.spec_from_file_location("results_table", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    header, _, *lines = script.synthesis(table)
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[3:6] == ["similarity own / best other", "own first (of 3)", "margin"]
    tts = json.loads(table.read_text())[2]
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[4].startswith(f"{100 * tts['own_first']:.0f}% [") and cells[5].startswith(f"{tts['margin']:.3f} [")
    old = [{"system": "old", "closer_to_own": 0.75, "ci": {"closer_to_own": {"low": 0.5, "high": 1.0}}}]
    (tmp_path / "old.json").write_text(json.dumps(old))
    header, _, line = script.synthesis(tmp_path / "old.json")
    assert "own first (of N)" in header and "| 75% [50, 100] |" in line


def test_each_cell_names_its_n_when_the_rows_differ(tmp_path) -> None:
    from cstoolkit.tts.eval.samples import System, _numbers

    rows = [
        {"system": "eight", "kind": "tts", "speakers": 8, "own_first": 0.75, "margin": 0.05},
        {"system": "two", "kind": "tts", "speakers": 2, "own_first": 0.5, "margin": -0.01},
    ]
    html_lines = "\n".join(_numbers([System(r, tmp_path, {}, {}, {}, {}, {}) for r in rows]))
    assert "<th>own first (of N)</th>" in html_lines
    assert (
        '75%<br><span class="note">of 8</span>' in html_lines and '50%<br><span class="note">of 2</span>' in html_lines
    )
    assert "+0.050" in html_lines and "-0.010" in html_lines
