#!/usr/bin/env python
"""Cost growth: every recipe stage on the demo corpus at several sizes (default 1x, 4x, 16x), its time per audio
hour and peak memory, and how fast each grows with the corpus (the growth exponent; 1.0 = linear).

    .venv/bin/python scripts/bench_scale.py --scales 1 4 --out-dir bench_scale      # then, where time allows:
    .venv/bin/python scripts/bench_scale.py --scales 16 --out-dir bench_scale       # (joins the 1x/4x rows)
    .venv/bin/python scripts/bench_scale.py --scales 0.1 0.2 --stages units saer-train --nj 1 data.mini.pairs=[zh-en]

**Corpus.** The generated demo world (``data.mini.sentences=generated``: the text generator's sentences read by 40
train voices, the same voices at every size); 1x is its configured size (``data.mini.generated.*``: 260 train
sentences per pair, 40 of them read twice, 10 dev, 20 test, 10 test_novel; 3.4 h of train audio for 11 pairs), and
trailing ``key=value`` overrides (e.g. ``data.mini.pairs=[zh-en,es-en]``) change that base. Scale s gives every pair
s times the utterances of 1x: below 1x every count shrinks by s; above it the distinct sentences of each split grow
as s^(1/3) and more readings of the train sentences by other voices make up the rest (:func:`scale_counts`). The
grammar holds 1,000-1,500 distinct sentences of seen frames per pair, enough for 16x (655 train + 25 dev + 50 test)
but not for s-fold sentences; the template world (``sentences=templates``) has 200-240 sentences per pair and 8
voices, at most 7x of its default size, so it cannot be used here.

**Stages** (:data:`STAGES`), each the ``cstk`` command of its recipe stage, with the tiny models of
``scripts/gpu_check.py --tiny`` trained for exactly one epoch (quality is irrelevant here) and ``augment=none`` (no
augmented copies: they triple the features' disk): prepare (0), features (1), units (2), SAER of the train
transcripts against themselves with one word left out (every scale's train set: the metric's cost over N
utterances), CS-ASR training (3), greedy decoding of the test set, SAER of the test transcripts scored the same
way (the decoding's own output is not: it changes with what the one-epoch model learnt), tokenizer training (10), speech
tokens of train/dev/test (12), speaker embeddings (14), flow training (15), unit alignment (19), text -> token
training (20), and TTS of a fixed number of test sentences (``--synth-utts``; its cost is per utterance and should
not grow at all).

**Measurements.** Every stage runs in a fresh child process (this script with ``--child``, which runs the ``cstk``
command in-process), with the children's threads capped by ``--threads`` (``CSTK_THREADS``, ``OMP_NUM_THREADS``):

* *wall*: the child's run, timed by this process; *per audio hour*: divided by the hours of audio the stage reads
  (its splits' ``utt2dur``); for synthesis, per utterance spoken.
* *imports*: seconds the child spent in import statements (torch, lightning, espnet, ... loaded the first time;
  measured by wrapping ``builtins.__import__`` in the child). *work* = wall - imports is what the exponents are
  fitted on: a fixed few seconds of imports would flatten the curve of a cheap stage and hide its growth.
* *CPU*: user + system seconds from ``os.wait4`` (the child and the processes it waited for: workers, espeak-ng).
  On a machine shared with other jobs wall seconds move with their load; CPU seconds less imports much less, so
  their exponent is the one to trust there.
* *peak RSS*: ``ru_maxrss`` from ``os.wait4`` on the child: the kernel's exact high-water mark of resident memory
  (no polling gaps) of the largest single process of the stage, the command or a worker process it waited for; with
  ``--nj 2`` two workers' memory is not added up. A fresh process per stage, so no stage inherits another's peak.
* *growth exponent*: the least-squares slope of log(work seconds) on log(audio hours read) over the scales run
  (:func:`growth_exponent`); the same for peak RSS, whose large fixed part (the interpreter, torch) makes its
  exponent small, so the table also gives the RSS added per audio hour between the smallest and largest scale.

Outputs (``--out-dir``, written atomically after every stage, so a killed run keeps what it measured):
``results.json`` (settings, every measurement, exponents), ``results.tsv``, ``growth.tsv``, ``table.md`` (also
printed) and ``growth.png`` (log-log). A run whose settings match the ``results.json`` there adds its scales to the
ones measured before. Progress lines go to stderr, each stage's output to
``<work-dir>/scale_<s>x/logs/<stage>.log``. Each scale's work folder (audio, features, models: about 270 MB per
audio hour, 1x about 1 GB, 16x about 16 GB) is removed when the scale is done unless ``--keep``; a scale that would
not fit the free disk, judged from the largest scale measured before, is refused before it starts.
"""

from __future__ import annotations

import argparse
import builtins
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: distinct sentences grow as scale ** SENTENCE_GROWTH above 1x; train readings make up the rest
SENTENCE_GROWTH = 1 / 3
#: a stage grows at most linearly when its exponents are at most this
LINEAR_BOUND = 1.15
HELD_KEYS = ("dev_sentences", "test_sentences", "test_novel_sentences")


def _gpu_check_models(kind: str) -> list[str]:
    """The model overrides of ``scripts/gpu_check.py`` (one list of tiny models for both scripts)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", Path(__file__).with_name("gpu_check.py"))
    module = sys.modules.setdefault("gpu_check", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return list(module.MODELS[kind])


TINY_MODELS = _gpu_check_models("tiny")  # asr=tiny, tokenizer=tiny (conf/) and tiny flow / t2s sizes
ALL_SPLITS = ("train", "dev", "test", "test_novel")


@dataclass(frozen=True)
class Stage:
    """A measured stage: the splits whose audio it reads (None: per utterance spoken) and the stages it needs."""

    name: str
    splits: tuple[str, ...] | None
    needs: tuple[str, ...]
    argv: Callable[[Context], list[str]]


@dataclass
class Context:
    """What the command lines of one scale are made of."""

    work: Path
    nj: int
    corpus: list[str]  # data overrides of this scale
    user: list[str]  # the trailing overrides, for every command that takes overrides
    synth_utts: int

    @property
    def data(self) -> Path:
        return self.work / "data"

    @property
    def exp(self) -> Path:
        return self.work / "exp"

    def dirs(self, *splits: str) -> list[str]:
        return [a for s in splits for a in ("--data-dir", str(self.data / s))]

    def train(self, command: str, group: str, *extra: str) -> list[str]:
        """A one-epoch training of a tiny model on train, validated on dev."""
        data = ("--train-dir", str(self.data / "train"), "--dev-dir", str(self.data / "dev"))
        once = (f"{group}.train.max_epochs=1", "trainer.enable_progress_bar=false")
        return [command, *data, *extra, *TINY_MODELS, *once, *self.corpus, *self.user]


def _score(ctx: Context, split: str, hyp: Path, out: str) -> list[str]:
    ref = ctx.data / split
    files = ("--utt2lang", str(ref / "utt2lang"), "--utt2seg", str(ref / "utt2seg.jsonl"))
    return ["score", "--ref", str(ref / "text"), "--hyp", str(hyp), *files, "--out-dir", str(ctx.exp / out), *ctx.user]


STAGES = [
    Stage(
        "prepare",
        ALL_SPLITS,
        (),
        lambda c: ["prepare", "--work_dir", str(c.work), "--nj", str(c.nj), *c.corpus, *c.user],
    ),
    Stage(
        "features",
        ALL_SPLITS,
        ("prepare",),
        lambda c: ["features", "--work_dir", str(c.work), "--nj", str(c.nj), *c.corpus, *c.user],
    ),
    Stage(
        "units",
        ("train",),
        ("prepare",),
        lambda c: ["units", "--text", str(c.data / "train" / "text"), "--out-dir", str(c.data / "units"), *c.user],
    ),
    Stage("saer-train", ("train",), ("prepare",), lambda c: _score(c, "train", c.exp / "train_hyp.txt", "saer_train")),
    Stage(
        "train-asr",
        ("train", "dev"),
        ("features", "units"),
        lambda c: c.train("train-asr", "asr", "--units-dir", str(c.data / "units"), "--exp-dir", str(c.exp / "asr")),
    ),
    Stage(
        "decode-asr",
        ("test",),
        ("train-asr",),
        lambda c: [
            "decode-asr",
            *("--model-dir", str(c.exp / "asr"), *c.dirs("test"), "--out-dir", str(c.exp / "decode_test")),
            *("--method", "greedy", *c.user),
        ],
    ),
    Stage("saer-test", ("test",), ("prepare",), lambda c: _score(c, "test", c.exp / "test_hyp.txt", "saer_test")),
    Stage(
        "train-tokenizer",
        ("train", "dev"),
        ("train-asr",),
        lambda c: c.train(
            "train-tokenizer",
            "tokenizer",
            *("--asr-dir", str(c.exp / "asr"), "--units-dir", str(c.data / "units")),
            *("--exp-dir", str(c.exp / "tokenizer")),
        ),
    ),
    Stage(
        "tokenize",
        ("train", "dev", "test"),
        ("train-tokenizer",),
        lambda c: ["tokenize", "--model", str(c.exp / "tokenizer"), *c.dirs("train", "dev", "test"), "--nj", str(c.nj)],
    ),
    Stage(
        "embed-speakers",
        ("train", "dev", "test"),
        ("prepare",),
        lambda c: ["embed-speakers", *c.dirs("train", "dev", "test"), *c.user],
    ),
    Stage(
        "train-flow",
        ("train", "dev"),
        ("tokenize", "embed-speakers"),
        lambda c: c.train(
            "train-flow", "flow", "--tokenizer-dir", str(c.exp / "tokenizer"), "--exp-dir", str(c.exp / "flow")
        ),
    ),
    Stage(
        "align-units",
        ("train", "dev", "test"),
        ("tokenize",),
        lambda c: [
            "align-units",
            *("--tokenizer-dir", str(c.exp / "tokenizer"), *c.dirs("train", "dev", "test"), "--nj", str(c.nj)),
        ],
    ),
    Stage(
        "train-t2s",
        ("train", "dev"),
        ("align-units", "train-flow"),
        lambda c: c.train(
            "train-t2s",
            "t2s",
            *("--tokenizer-dir", str(c.exp / "tokenizer"), "--flow-dir", str(c.exp / "flow")),
            *("--exp-dir", str(c.exp / "tts")),
        ),
    ),
    Stage(
        "synthesize",
        None,
        ("train-t2s",),
        lambda c: [
            "synthesize",
            *("--model", str(c.exp / "tts"), "--data-dir", str(c.data / "synth_subset")),
            *("--prompts-from", str(c.data / "test"), "--out-dir", str(c.exp / "synth")),
        ],
    ),
]
BY_NAME = {s.name: s for s in STAGES}


@dataclass
class Measure:
    """One stage at one scale."""

    stage: str
    scale: float
    hours: float  # audio hours the stage read (synthesis: of train, which its models were trained on)
    units: float  # what the time is divided by: audio hours, or utterances spoken (synthesis)
    unit: str  # "h" or "utt"
    utterances: int
    wall_s: float
    import_s: float
    rss_mb: float
    cpu_s: float = 0.0  # user + system CPU seconds of the child and the processes it waited for
    probe_s: float = 0.0  # the machine's speed when this scale ran: seconds of :func:`speed_probe` (0: unknown)

    @property
    def work_s(self) -> float:
        return max(self.wall_s - self.import_s, 0.0)

    @property
    def cpu_work_s(self) -> float:
        return max(self.cpu_s - self.import_s, 0.0)


# ---------------------------------------------------------------- corpus sizes


def scale_counts(base: Mapping[str, int], scale: float, voices: int) -> dict[str, int]:
    """Per-pair sizes of the generated world at ``scale`` times ``base`` (its ``data.mini.generated`` counts).

    Utterances per pair: ``train - shared + shared * readings``, which becomes ``scale`` times that of ``base``.
    At or below 1x every count shrinks by ``scale``; above it the distinct sentences of every split grow as
    ``scale ** SENTENCE_GROWTH`` and the train readings (at most ``voices``) make up the rest.
    """
    train, shared, readings = (int(base[k]) for k in ("train_sentences", "shared_sentences", "shared_readings"))
    target = max(1, round(scale * (train - shared + shared * readings)))
    if scale <= 1:
        grow = scale
        new_train = max(1, round(train * scale))
        new_shared, new_readings = min(new_train, round(shared * scale)), readings
    else:
        grow = scale**SENTENCE_GROWTH
        new_train = max(1, round(train * grow))
        new_readings = max(readings, math.ceil((target - new_train) / new_train) + 1)
        new_shared = min(new_train, math.ceil((target - new_train) / (new_readings - 1))) if new_readings > 1 else 0
    if new_readings > voices:
        raise SystemExit(f"bench_scale: scale {scale:g} needs {new_readings} readings, more than the {voices} voices")
    out = {"train_sentences": new_train, "shared_sentences": new_shared, "shared_readings": new_readings}
    out.update({k: max(1, round(int(base[k]) * grow)) if int(base[k]) else 0 for k in HELD_KEYS})
    return out


def corpus_overrides(user: Sequence[str], scale: float) -> list[str]:
    """The data overrides of one scale (``user``: the trailing overrides that set the 1x world)."""
    from cstoolkit.config import load_config

    gen = load_config(["data.mini.sentences=generated", *user]).data.mini.generated
    counts = scale_counts(gen, scale, int(gen.speakers.train))
    sizes = [f"data.mini.generated.{k}={v}" for k, v in counts.items()]
    return ["data.mini.sentences=generated", *sizes, "augment=none"]


def growth_exponent(sizes: Sequence[float], values: Sequence[float]) -> float | None:
    """Least-squares slope of log(value) on log(size): 1.0 = linear growth, 0 = flat, 2 = quadratic.

    None with fewer than two distinct positive sizes (points with a size or value <= 0 are left out).
    """
    points = [(math.log(x), math.log(y)) for x, y in zip(sizes, values) if x > 0 and y > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


# ---------------------------------------------------------------- one stage in a child process


class ImportClock:
    """Seconds this process spends inside outermost import statements (nested imports count once)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inside = threading.local()
        self._import = builtins.__import__

    def install(self) -> None:
        builtins.__import__ = self._timed

    def _timed(self, *args, **kwargs):
        if getattr(self._inside, "busy", False):
            return self._import(*args, **kwargs)
        self._inside.busy, start = True, time.perf_counter()
        try:
            return self._import(*args, **kwargs)
        finally:
            self._inside.busy = False
            self.seconds += time.perf_counter() - start


def child_main(record: str, argv: list[str]) -> int:
    """Run ``cstk argv`` in this process; write its import seconds to ``record`` (JSON)."""
    clock = ImportClock()
    clock.install()
    sys.argv = ["cstk", *argv]
    from cstoolkit.cli.cstk import main

    status = main(argv)
    Path(record).write_text(json.dumps({"import_s": clock.seconds, "status": status}), encoding="utf-8")
    return status


def child_env(threads: int | None) -> dict[str, str]:
    """The children's environment: this checkout first on the path, offline, no windows, threads capped."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    if threads:
        env.update(CSTK_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return env


def run_child(argv: list[str], log: Path, env: Mapping[str, str]) -> tuple[int, float, float, float, float]:
    """``cstk argv`` in a fresh child: (exit status, wall s, import s, peak RSS MB of its largest process, CPU s of
    the child and the processes it waited for)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    record = log.with_suffix(".json")
    record.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(record), *argv]
    with log.open("w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(env), cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    imports = json.loads(record.read_text())["import_s"] if record.is_file() else 0.0
    return proc.returncode, wall, imports, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def audio_hours(data: Path, splits: Sequence[str]) -> tuple[float, int]:
    """Audio hours and utterances of the splits (``utt2dur``) that exist under ``data``."""
    seconds, utts = 0.0, 0
    for split in splits:
        path = data / split / "utt2dur"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    seconds += float(line.split()[1])
                    utts += 1
    return seconds / 3600, utts


# ---------------------------------------------------------------- inputs the benchmark makes (not timed)


def write_dropped_word_hyp(ctx: Context, split: str) -> None:
    """Hypotheses for ``saer-<split>``: every transcript of the split with one word left out (another word each
    line), so SAER's cost is measured on text of the same kind at every scale. (The test set's own decoding is not
    used: what a one-epoch tiny model says changes with the steps it had, and so would the cost of scoring it.)"""
    lines = (ctx.data / split / "text").read_text(encoding="utf-8").splitlines()
    out = []
    for i, line in enumerate(filter(str.strip, lines)):
        utt, *words = line.split()
        out.append(" ".join([utt, *(w for k, w in enumerate(words) if len(words) < 2 or k != i % len(words))]))
    ctx.exp.mkdir(parents=True, exist_ok=True)
    (ctx.exp / f"{split}_hyp.txt").write_text("".join(f"{x}\n" for x in out), encoding="utf-8")


def write_synth_subset(ctx: Context) -> None:
    """``data/synth_subset``: the text tables of ``--synth-utts`` test utterances, spread over the sorted ids."""
    test, out = ctx.data / "test", ctx.data / "synth_subset"
    ids = sorted(line.split()[0] for line in (test / "text").read_text(encoding="utf-8").splitlines() if line.strip())
    n = min(ctx.synth_utts, len(ids))
    keep = {ids[k * len(ids) // n] for k in range(n)}
    out.mkdir(parents=True, exist_ok=True)
    for name in ("text", "utt2spk", "utt2lang", "utt2seg.jsonl"):
        lines = (test / name).read_text(encoding="utf-8").splitlines()
        key = (lambda s: json.loads(s)["id"]) if name.endswith(".jsonl") else (lambda s: s.split()[0])
        (out / name).write_text("".join(f"{s}\n" for s in lines if s.strip() and key(s) in keep), encoding="utf-8")


BEFORE: dict[str, Callable[[Context], None]] = {
    "saer-train": lambda c: write_dropped_word_hyp(c, "train"),
    "saer-test": lambda c: write_dropped_word_hyp(c, "test"),
    "synthesize": write_synth_subset,
}


# ---------------------------------------------------------------- tables, plot, results


def exponents(measures: Sequence[Measure]) -> list[dict]:
    """Per stage over the scales measured: the growth exponents (:func:`growth_exponent`) of work seconds (over all
    scales, and between the two largest), of CPU seconds less imports, of wall seconds and of peak RSS; the RSS
    added per audio hour between the smallest and largest scale; and whether the stage grows at most linearly
    (work and RSS exponents at most ``LINEAR_BOUND``). Synthesis (a fixed number of utterances) counts per
    utterance."""
    rows = []
    for stage in [s.name for s in STAGES]:
        ms = sorted((m for m in measures if m.stage == stage), key=lambda m: m.scale)
        if not ms:
            continue
        xs = [m.hours for m in ms]
        work = _costs(ms, "work_s")
        row = {
            "stage": stage,
            "scales": [m.scale for m in ms],
            "time": growth_exponent(xs, work),
            "time_last": growth_exponent(xs[-2:], work[-2:]) if len(ms) > 1 else None,
            "cpu": growth_exponent(xs, _costs(ms, "cpu_work_s")),
            "wall": growth_exponent(xs, _costs(ms, "wall_s")),
            "rss": growth_exponent(xs, [m.rss_mb for m in ms]),
            "rss_mb_per_h": (ms[-1].rss_mb - ms[0].rss_mb) / (xs[-1] - xs[0]) if xs[-1] > xs[0] else None,
        }
        worst = max((row[k] for k in ("time", "rss") if row[k] is not None), default=None)
        row["linear"] = None if worst is None else worst <= LINEAR_BOUND
        rows.append(row)
    return rows


def _costs(ms: Sequence[Measure], seconds: str) -> list[float]:
    """The attribute ``seconds`` of each measurement, per utterance where the stage counts per utterance."""
    return [getattr(m, seconds) / m.units if m.unit == "utt" else getattr(m, seconds) for m in ms]


def _f(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def markdown(measures: Sequence[Measure], growth: Sequence[dict], header: str) -> str:
    """The two tables: every measurement, and every stage's growth."""
    columns = ["stage", "scale", "audio h", "utts", "wall s", "wall s per audio h", "imports s", "work s", "CPU s"]
    out = [header, "", _row([*columns, "peak RSS MB"]), "|---" * (len(columns) + 1) + "|"]
    order = {s.name: i for i, s in enumerate(STAGES)}
    for m in sorted(measures, key=lambda m: (order[m.stage], m.scale)):
        per = f"{m.wall_s / m.units:.2f} per utt" if m.unit == "utt" else _f(m.wall_s / m.units, 1)
        cells = [m.stage, f"{m.scale:g}x", f"{m.hours:.3f}", m.utterances, f"{m.wall_s:.1f}", per]
        out.append(_row([*cells, f"{m.import_s:.1f}", f"{m.work_s:.1f}", f"{m.cpu_s:.1f}", f"{m.rss_mb:.0f}"]))
    out += ["", "synthesize: a fixed number of test sentences; its audio h: the train audio its models learnt from."]
    out += ["", "Growth exponents (slope of log cost on log audio hours; 1.0 = linear; synthesis: per utterance):", ""]
    columns = ["stage", "time (work)", "time, last two scales", "time (CPU)", "time (wall)", "peak RSS"]
    out += [_row([*columns, "RSS MB per audio h", "at most linear"]), "|---" * (len(columns) + 2) + "|"]
    for g in growth:
        verdict = {None: "", True: "yes", False: f"**no** (> {LINEAR_BOUND})"}[g["linear"]]
        exps = [_f(g[k]) for k in ("time", "time_last", "cpu", "wall", "rss")]
        out.append(_row([g["stage"], *exps, _f(g["rss_mb_per_h"], 0), verdict]))
    return "\n".join(out) + "\n"


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(map(str, cells)) + " |"


def tsv(rows: Sequence[Mapping], columns: Sequence[str]) -> str:
    """Tab-separated ``rows``, one column per name of ``columns`` (lists joined by commas, None empty)."""

    def cell(v: object) -> str:
        if isinstance(v, list):
            return ",".join(f"{x:g}" for x in v)
        return "" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)

    lines = [columns, *([row.get(c) for c in columns] for row in rows)]
    return "".join("\t".join(map(cell, line)) + "\n" for line in lines)


def plot(measures: Sequence[Measure], path: Path) -> None:
    """Log-log work seconds (synthesis: per utterance) and peak RSS against audio hours, one line per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cstoolkit.core.atomic import atomic_path

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(13, 5.5))
    colors = plt.get_cmap("tab20").colors
    for k, stage in enumerate(STAGES):
        ms = sorted((m for m in measures if m.stage == stage.name), key=lambda m: m.hours)
        if not ms:
            continue
        xs = [m.hours for m in ms]
        style = {"color": colors[k % len(colors)], "marker": "osD^v"[k % 5], "label": stage.name}
        ax_t.plot(xs, [max(w, 1e-3) for w in _costs(ms, "work_s")], **style)
        ax_m.plot(xs, [m.rss_mb for m in ms], **style)
    for ax, what in ((ax_t, "work seconds (synthesize: per utterance)"), (ax_m, "peak RSS, MB")):
        ax.set(xscale="log", yscale="log", xlabel="audio hours the stage reads", ylabel=what)
        ax.grid(True, which="both", alpha=0.3)
    lo, hi = ax_t.get_xlim()
    y0 = ax_t.get_ylim()[0] * 3
    ax_t.plot([lo, hi], [y0, y0 * hi / lo], "k--", lw=1, label="linear (slope 1)")
    ax_t.legend(fontsize=7, ncol=2)
    ax_m.legend(fontsize=7, ncol=2)
    ax_t.set_title("time")
    ax_m.set_title("memory")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def save(out_dir: Path, settings: Mapping, measures: Sequence[Measure], disk: Mapping[str, float]) -> str:
    """Write every output of ``out_dir``; return the Markdown tables."""
    from cstoolkit.core.atomic import atomic_write_json, atomic_write_text

    growth = exponents(measures)
    cols = ["stage", "scale", "hours", "units", "unit", "utterances", "wall_s", "import_s", "work_s", "cpu_s"]
    cols.append("rss_mb")
    rows = [{**asdict(m), "work_s": m.work_s} for m in measures]
    doc = {"settings": dict(settings), "measures": rows, "growth": growth, "disk_mb": dict(disk)}
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / "results.json", doc)
    atomic_write_text(out_dir / "results.tsv", tsv(rows, cols))
    gcols = ["stage", "scales", "time", "time_last", "cpu", "wall", "rss", "rss_mb_per_h", "linear"]
    atomic_write_text(out_dir / "growth.tsv", tsv(growth, gcols))
    header = f"cstoolkit cost growth: {settings['machine']}, nj {settings['nj']}, threads {settings['threads']}"
    probes = {m.scale: m.probe_s for m in measures if m.probe_s}
    if probes:
        header += "; speed probe " + ", ".join(f"{k:g}x {v:.3f} s" for k, v in sorted(probes.items()))
    table = markdown(measures, growth, header)
    atomic_write_text(out_dir / "table.md", table)
    if measures:
        plot(measures, out_dir / "growth.png")
    return table


def load_earlier(
    out_dir: Path, settings: Mapping, probe_s: float, same_speed: float = 0.25
) -> tuple[list[Measure], dict[str, float]]:
    """Measurements of an earlier run into ``out_dir`` with the same settings, on a machine as fast as this one is
    now (their :func:`speed_probe` within the share ``same_speed`` of ``probe_s``); [] otherwise, said why.

    A cloud machine's CPU model and load change from session to session: one rerun found every stage, the trivially
    linear ones too, about 1.4x faster than a day before, which fitted together reads as superlinear growth."""
    path = out_dir / "results.json"
    if not path.is_file():
        return [], {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("settings") != dict(settings):
        progress(f"{path} holds a run with other settings: replaced by this one")
        return [], {}
    fields = set(Measure.__dataclass_fields__)
    earlier = [Measure(**{k: v for k, v in r.items() if k in fields}) for r in doc["measures"]]
    probes = sorted({m.probe_s for m in earlier})
    if earlier and not all(p > 0 and abs(p / probe_s - 1) <= same_speed for p in probes):
        progress(
            f"{path} was measured on a machine of another speed (speed probe {', '.join(f'{p:.3f}' for p in probes)} s"
            f" against {probe_s:.3f} s now; 0 = not recorded): not joined, replaced by this run"
        )
        return [], {}
    return earlier, doc.get("disk_mb", {})


def speed_probe(repeats: int = 7) -> float:
    """Median seconds of a fixed workload (small float32 matrix products and a Python loop): the machine's speed,
    recorded with every scale, so that scales measured at different speeds are not fitted together."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((192, 192)).astype(np.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        b = a
        for _ in range(300):
            b = np.tanh(b @ a)
        total = 0
        for k in range(1_000_000):
            total += k % 7
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# ---------------------------------------------------------------- the run


def progress(message: str) -> None:
    print(f"[bench_scale] {message}", file=sys.stderr, flush=True)


def with_needs(names: Sequence[str]) -> list[Stage]:
    """The stages asked for and every stage they need, in recipe order."""
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += BY_NAME[name].needs
    return [s for s in STAGES if s.name in wanted]


def folder_mb(path: Path) -> float:
    """Size of the files under ``path`` in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def run_scale(scale: float, stages: Sequence[Stage], args: argparse.Namespace, work: Path, on_measure) -> float:
    """Every stage at one scale, each measured as it finishes (``on_measure(Measure)``); returns the work folder's
    size in MB."""
    ctx = Context(work, args.nj, corpus_overrides(args.overrides, scale), list(args.overrides), args.synth_utts)
    env = child_env(args.threads)
    for stage in stages:
        if stage.name in BEFORE:
            BEFORE[stage.name](ctx)
        argv = stage.argv(ctx)
        progress(f"{scale:g}x {stage.name}: cstk {' '.join(argv[:1])} ...")
        status, wall, imports, rss, cpu = run_child(argv, work / "logs" / f"{stage.name}.log", env)
        if status:
            tail = (work / "logs" / f"{stage.name}.log").read_text(errors="replace").splitlines()[-25:]
            raise SystemExit(f"bench_scale: {stage.name} at {scale:g}x failed (exit {status}):\n" + "\n".join(tail))
        train_h, _ = audio_hours(ctx.data, ("train",))
        if stage.splits is None:
            n = sum(1 for line in (ctx.data / "synth_subset" / "text").read_text().splitlines() if line.strip())
            m = Measure(stage.name, scale, train_h, n, "utt", n, wall, imports, rss, cpu)
        else:
            hours, utts = audio_hours(ctx.data, stage.splits)
            m = Measure(stage.name, scale, hours, hours, "h", utts, wall, imports, rss, cpu)
        progress(
            f"{scale:g}x {stage.name}: {m.hours:.3f} h, {m.utterances} utts: wall {wall:.1f} s "
            f"(imports {imports:.1f} s, CPU {cpu:.1f} s), peak RSS {rss:.0f} MB"
        )
        on_measure(m)
    return folder_mb(work)


def disk_needed_mb(disk: Mapping[str, float], scale: float) -> float | None:
    """The MB a scale's work folder will hold, from the largest scale measured before (None: none was)."""
    if not disk:
        return None
    done = max(disk, key=lambda name: float(name.rstrip("x")))
    return disk[done] * scale / float(done.rstrip("x"))


def check_disk(root: Path, need_mb: float | None, scale: float) -> None:
    """Stop before a scale that would fill the disk under ``root`` (other jobs share it)."""
    free_mb = shutil.disk_usage(root).free / 2**20
    if need_mb is not None and need_mb > 0.9 * free_mb:
        raise SystemExit(
            f"bench_scale: {scale:g}x needs about {need_mb / 1024:.1f} GB under {root}, which has "
            f"{free_mb / 1024:.1f} GB free: free some, or pass a --work-dir on a larger disk"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scales", type=float, nargs="+", default=[1.0, 4.0, 16.0], help="corpus sizes (1 = 1x)")
    p.add_argument("--stages", nargs="+", choices=list(BY_NAME), help="stages to measure (and those they need)")
    p.add_argument("--out-dir", default="bench_scale", help="tables, results.json and growth.png go here")
    p.add_argument("--work-dir", help="data and models of each scale (default: a new folder under /tmp)")
    p.add_argument("--keep", action="store_true", help="keep each scale's work folder (default: removed)")
    p.add_argument("--nj", type=int, default=2, help="parallel jobs of prepare, features, tokenize, align-units")
    p.add_argument("--threads", type=int, help="CPU threads per command (CSTK_THREADS); default: the commands' own")
    p.add_argument(
        "--same-speed",
        type=float,
        default=0.25,
        help="join earlier results only when the machine's speed probe differs by at most this share (default 0.25)",
    )
    p.add_argument("--synth-utts", type=int, default=20, help="test sentences spoken by the synthesis stage")
    p.add_argument("overrides", nargs="*", help="Hydra overrides of every command, e.g. data.mini.pairs=[zh-en]")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if any(s <= 0 for s in args.scales):
        raise SystemExit("bench_scale: scales must be positive")
    sys.path.insert(0, str(ROOT))
    import platform

    stages = with_needs(args.stages or list(BY_NAME))
    settings = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "nj": args.nj,
        "threads": args.threads,
        "synth_utts": args.synth_utts,
        "overrides": list(args.overrides),
        "sentence_growth": SENTENCE_GROWTH,
    }
    out_dir = Path(args.out_dir).resolve()
    probe = speed_probe()
    progress(f"speed probe: {probe:.3f} s")
    measures, disk = load_earlier(out_dir, settings, probe, args.same_speed)
    root = Path(args.work_dir or tempfile.mkdtemp(prefix="cstk_bench_scale_")).resolve()
    root.mkdir(parents=True, exist_ok=True)

    def record(m: Measure) -> None:
        measures.append(m)
        save(out_dir, settings, measures, disk)

    for scale in sorted(args.scales):
        measures[:] = [m for m in measures if not (m.scale == scale and m.stage in {s.name for s in stages})]
        work = root / f"scale_{scale:g}x"
        if work.exists():
            shutil.rmtree(work)  # every scale starts from nothing (no audio cache, no stamps)
        if len(stages) == len(STAGES):
            check_disk(root, disk_needed_mb(disk, scale), scale)
        progress(f"{scale:g}x: {' '.join(corpus_overrides(args.overrides, scale))} (work folder {work})")
        disk[f"{scale:g}x"] = run_scale(scale, stages, args, work, lambda m, p=probe: record(replace(m, probe_s=p)))
        probe_after = speed_probe()
        if abs(probe_after / probe - 1) > args.same_speed:
            progress(f"warning: the machine's speed changed during {scale:g}x ({probe:.3f} -> {probe_after:.3f} s)")
        probe = probe_after
        progress(f"{scale:g}x done: the work folder holds {disk[f'{scale:g}x']:.0f} MB")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(save(out_dir, settings, measures, disk))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child_main(sys.argv[2], sys.argv[3:]))
    sys.exit(main())
