#!/usr/bin/env python
"""The GPU check (run by scripts/gpu_check.sh, which sets up the environment and time-boxes it): on a small demo
corpus, one short training of every model with its GPU configuration (asr=gpu_base, tokenizer=gpu, flow=flow_gpu,
t2s=nar_gpu; trainer=gpu: bf16 mixed precision), speech-token extraction, TTS synthesis (RTF) and SAER scoring
(pairs per second), each step one ``cstk`` command run in this process as the recipe runs it; a table at the end.

    bash scripts/gpu_check.sh                      # on a GPU (time-boxed: 8 min)
    bash scripts/gpu_check.sh --cpu                # the same steps on the CPU with the CPU-sized models
    bash scripts/gpu_check.sh --cpu --tiny         # and a tiny corpus and tiny models: ~30 s on 2 cores (the test)

Everything is offline: the corpus is the embedded demo corpus (espeak-ng), the models ship in pip packages. The work
folder (``--work_dir``, default a new folder under /tmp) keeps the data, models, logs and ``gpu_check.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cstoolkit.core.runtime import init_process

init_process()  # the OpenMP wait policy, before torch loads OpenMP

#: demo corpus sizes: generated sentences of 2-4 language pairs (data.mini.generated.*)
CORPUS = {
    "gpu": ("[zh-en,es-en,ja-en,de-en]", 40, 8, 3, 4, 8, 2, 2),
    "cpu": ("[zh-en,es-en]", 12, 2, 2, 2, 3, 1, 2),
    "tiny": ("[zh-en,es-en]", 6, 2, 1, 2, 3, 1, 2),
}
#: model configurations and the epochs of the short trainings (asr, tokenizer, flow, t2s)
MODELS = {
    "gpu": ["asr=gpu_base", "tokenizer=gpu", "flow=flow_gpu", "t2s=nar_gpu"],
    "cpu": ["asr=cpu_small", "tokenizer=cpu_small", "flow=flow_cpu", "t2s=nar_cpu"],
    "tiny": [
        "asr=tiny",
        "tokenizer=tiny",
        "flow.model.encoder.d_model=32",
        "flow.model.encoder.layers=1",
        "flow.model.estimator.channels=[32,32]",
        "flow.model.estimator.transformer_layers=[0,1]",
        "flow.model.estimator.time_dim=32",
        "flow.inference.steps=2",
        "t2s.model.d_model=32",
        "t2s.model.encoder_layers=1",
        "t2s.model.decoder_layers=1",
        "t2s.model.duration_channels=16",
    ],
}
EPOCHS = {"gpu": (3, 1, 3, 3), "cpu": (2, 1, 2, 2), "tiny": (1, 1, 1, 1)}
#: pairs of the SAER throughput measurement
SAER_PAIRS = {"gpu": 5000, "cpu": 500, "tiny": 100}


@dataclass
class Row:
    """One line of the table."""

    step: str
    seconds: float
    result: str
    ok: bool = True


def corpus_overrides(size: str) -> list[str]:
    pairs, train, shared, dev, test, spk_train, spk_dev, spk_test = CORPUS[size]
    g = "data.mini.generated"
    return [
        "data.mini.sentences=generated",
        f"data.mini.pairs={pairs}",
        f"{g}.train_sentences={train}",
        f"{g}.shared_sentences={shared}",
        f"{g}.dev_sentences={dev}",
        f"{g}.test_sentences={test}",
        f"{g}.test_novel_sentences=1",
        f"{g}.speakers.train={spk_train}",
        f"{g}.speakers.dev={spk_dev}",
        f"{g}.speakers.test={spk_test}",
        "data.plots=false",
        "augment=none",
    ]


def audio_seconds(data_dir: Path) -> float:
    """Seconds of audio of a data directory (``utt2dur``)."""
    lines = (data_dir / "utt2dur").read_text(encoding="utf-8").split("\n")
    return sum(float(line.split()[1]) for line in lines if line.strip())


def trained(exp: Path, audio_s: float) -> str:
    """What a training left in ``train_summary.json``: epochs, steps, steps/s, audio seconds per second."""
    s = json.loads((exp / "train_summary.json").read_text(encoding="utf-8"))
    wall = max(float(s["wall_seconds"]), 1e-9)
    loss = f", best val loss {s['best_val_loss']:.3g}" if s.get("best_val_loss") is not None else ""
    rate = f", {s['epochs'] * audio_s / wall:.0f} audio s/s" if audio_s else ""
    epochs = f"{s['epochs']} epoch{'s' if s['epochs'] != 1 else ''}"
    steps = f"{s['global_step']} step{'s' if s['global_step'] != 1 else ''}"
    return f"{epochs}, {steps}, {s['global_step'] / wall:.2f} steps/s{rate}{loss}"


def synthesized(out_dir: Path) -> str:
    """Utterances, audio and real-time factor of a synthesis folder (``synthesis.json``: text -> waveform, the
    models' load not counted)."""
    info = json.loads((out_dir / "synthesis.json").read_text(encoding="utf-8"))
    return f"{info['utterances']} utterances, {info['audio_seconds']:.1f} s of audio, RTF {info['rtf']:.3f}"


def saer_throughput(data: Path, model: str, pairs: int) -> str:
    """Pairs per second of SAER (form + semantic part) over ``pairs`` pairs: the train transcripts, in turn, against
    themselves with one word left out (another word each round); the model's load and first call not counted."""
    from cstoolkit.data.kaldi_dir import read_kaldi_file
    from cstoolkit.metrics.saer import SAERConfig, compute_saer
    from cstoolkit.metrics.semantic import load_backend

    texts = list(read_kaldi_file(data / "train" / "text").values())
    refs = [texts[i % len(texts)] for i in range(pairs)]
    hyps = []
    for i, ref in enumerate(refs):
        words = ref.split()
        hyps.append(" ".join(w for k, w in enumerate(words) if k != (i // len(texts)) % len(words)))
    config = SAERConfig(model=model)
    backend = load_backend(config.model)
    backend.embed(["warm-up"])
    start = time.perf_counter()
    result = compute_saer(refs, hyps, config=config, backend=backend, progress=False)
    wall = time.perf_counter() - start
    return f"{pairs} pairs, {pairs / wall:.0f} pairs/s ({config.model}), SAER {result.saer:.3f}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpu", action="store_true", help="train and synthesise on the CPU (CPU-sized models)")
    p.add_argument("--tiny", action="store_true", help="a tiny corpus and tiny models (with --cpu: the test)")
    p.add_argument("--work_dir", help="work folder (default: a new folder under /tmp)")
    p.add_argument("--nj", type=int, default=0, help="parallel jobs of corpus building (default: all cores)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import os

    import torch

    from cstoolkit.cli.cstk import main as cstk

    gpu = not args.cpu
    if gpu and not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU visible; run with --cpu for the CPU path", file=sys.stderr)
        return 2
    size = "tiny" if args.tiny else ("gpu" if gpu else "cpu")
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="cstk_gpu_check_")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data, exp = work / "data", work / "exp"
    nj = str(args.nj or os.cpu_count() or 1)
    device = "cuda" if gpu else "cpu"
    corpus = corpus_overrides(size)
    models = [*MODELS[size], "trainer=gpu" if gpu else "trainer=cpu"]
    rows: list[Row] = []

    def step(name: str, argv: list[str], result=None) -> None:
        print(f"[gpu_check] {name}: cstk {' '.join(argv)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        status = cstk(argv)
        wall = time.perf_counter() - start
        if status:
            rows.append(Row(name, wall, f"failed (exit {status})", ok=False))
            raise SystemExit(status)
        rows.append(Row(name, wall, result() if result else ""))
        print(f"[gpu_check] {name}: {wall:.1f} s {rows[-1].result}", file=sys.stderr, flush=True)
        if gpu:
            torch.cuda.empty_cache()

    def dirs(*names: str) -> list[str]:
        return [a for n in names for a in ("--data-dir", str(data / n))]

    def train(command: str, group: str, epochs: int, *extra: str) -> list[str]:
        return [
            command,
            *("--train-dir", str(data / "train"), "--dev-dir", str(data / "dev"), *extra),
            *(*models, *corpus, "trainer.enable_progress_bar=false"),
            *(f"{group}.train.max_epochs={epochs}", f"{group}.scheduler.warmup_steps=50"),
        ]

    e_asr, e_tok, e_flow, e_t2s = EPOCHS[size]
    tok, synth = exp / "tokenizer", exp / "tts" / "synth_test"
    started = time.perf_counter()
    status = 0
    try:
        prepare = ["prepare", "--work_dir", str(work), "--nj", nj, *corpus]
        step("corpus (espeak-ng)", prepare, lambda: f"{audio_seconds(data / 'train') / 60:.1f} min of train audio")
        train_s = audio_seconds(data / "train")
        step("features", ["features", "--work_dir", str(work), "--nj", nj, *corpus])
        step("units", ["units", "--text", str(data / "train" / "text"), "--out-dir", str(data / "units"), *corpus])
        units = ("--units-dir", str(data / "units"))
        asr = train("train-asr", "asr", e_asr, *units, "--exp-dir", str(exp / "asr"))
        step("train CS-ASR", asr, lambda: trained(exp / "asr", train_s))
        tokenizer = train(
            "train-tokenizer", "tokenizer", e_tok, "--asr-dir", str(exp / "asr"), *units, "--exp-dir", str(tok)
        )
        step("train tokenizer", tokenizer, lambda: trained(tok, train_s))
        all_s = sum(audio_seconds(data / n) for n in ("train", "dev", "test"))
        extract = ["tokenize", "--model", str(tok), *dirs("train", "dev", "test"), "--device", device]
        step("extract speech tokens", extract, lambda: f"{all_s:.0f} s of audio")
        rows[-1].result += f", {all_s / rows[-1].seconds:.0f} audio s/s (model load included)"
        step("speaker d-vectors", ["embed-speakers", *dirs("train", "dev", "test"), "--device", device, *corpus])
        flow = train("train-flow", "flow", e_flow, "--tokenizer-dir", str(tok), "--exp-dir", str(exp / "flow"))
        step("train flow model", flow, lambda: trained(exp / "flow", train_s))
        step(
            "align units",
            ["align-units", "--tokenizer-dir", str(tok), *dirs("train", "dev", "test"), "--device", device],
        )
        to_flow = ("--flow-dir", str(exp / "flow"), "--exp-dir", str(exp / "tts"))
        t2s = train("train-t2s", "t2s", e_t2s, "--tokenizer-dir", str(tok), *to_flow)
        step("train text -> token model", t2s, lambda: trained(exp / "tts", 0.0))
        speak = ["synthesize", "--model", str(exp / "tts"), *dirs("test"), "--out-dir", str(synth), "--device", device]
        step("TTS of the test set", speak, lambda: synthesized(synth))
        for model in ["use-multilingual"] if args.tiny else ["use-multilingual", "all-MiniLM-L6-v2"]:
            start = time.perf_counter()
            result = saer_throughput(data, model, SAER_PAIRS[size])
            rows.append(Row("SAER scoring", time.perf_counter() - start, result))
    except SystemExit as stop:
        status = int(stop.code or 1)
    finally:
        total = time.perf_counter() - started
        print_table(rows, total, device, size, work)
        record = {"device": device, "size": size, "seconds": total, "steps": [asdict(r) for r in rows]}
        with contextlib.suppress(OSError):
            (work / "gpu_check.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return status


def print_table(rows: list[Row], total: float, device: str, size: str, work: Path) -> None:
    """The steps, their wall seconds and results, on stdout."""
    import torch

    name = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    width = max([len(r.step) for r in rows] + [4])
    print(f"\ncstoolkit GPU check: {name}, {size} models and corpus, {total:.0f} s in all (work folder {work})")
    print(f"| {'step':<{width}} | seconds | result")
    print(f"|{'-' * (width + 2)}|---------|-------")
    for r in rows:
        print(f"| {r.step:<{width}} | {r.seconds:7.1f} | {r.result}")
    if rows and not rows[-1].ok:
        print(f"gpu_check: {rows[-1].step} failed; its log is above", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
