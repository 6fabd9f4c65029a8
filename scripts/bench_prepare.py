#!/usr/bin/env python
"""Benchmark stage 0 (and optionally stage 1): audio hours prepared per wall minute with --nj 1 vs --nj 2.

Both runs start from an empty output folder (no cache) in the same process, one after the other, after an untimed
warm-up on a tiny input, on:
  mini          the embedded demo corpus (espeak-ng synthesis), --sentences train sentences per pair from the
                --source sentence source (templates: 2 readings each; generated: --sentences / 5 read twice)
  switchlingua  a generated release-shaped folder of --files AAC .m4a files (48 kHz), decoded with PyAV

Usage: .venv/bin/python scripts/bench_prepare.py [--corpus mini|switchlingua] [--source templates|generated]
                                                  [--sentences 30] [--files 200]
"""

from __future__ import annotations

import argparse
import csv
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from cstoolkit.config import load_config
from cstoolkit.data.features import compute_features
from cstoolkit.data.prepare import prepare

TEXTS = [
    "我今天去 shopping mall 买东西",
    "这个 project 真的很重要",
    "我们明天有一个 meeting",
    "你可以帮我 check 一下吗",
]


def make_release(root: Path, files: int, seconds: float = 3.0, rate: int = 48000) -> Path:
    """A Mandarin release folder: ``Mandarin.csv`` + ``files`` mono AAC .m4a files of a speech-like signal."""
    import av

    (root / "Mandarin").mkdir(parents=True)
    t = np.arange(int(seconds * rate)) / rate
    rows = []
    for i in range(files):
        wave = (0.3 * np.sin(2 * np.pi * (120 + i % 50) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(
            np.float32
        )
        with av.open(str(root / "Mandarin" / f"{i}_0.m4a"), "w", format="mp4") as container:
            stream = container.add_stream("aac", rate=rate, layout="mono")
            for start in range(0, wave.size, 1024):
                frame = av.AudioFrame.from_ndarray(wave[None, start : start + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = rate, start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        rows.append([f"{i}_0.m4a", TEXTS[i % len(TEXTS)], "Mandarin", "English"])
    with (root / "Mandarin.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["file_name", "text", "first_language", "second_language"], *rows])
    return root


def mini_overrides(source: str, train: int, held: int, pairs: str | None = None) -> list[str]:
    """Demo-corpus overrides of ``train`` train and ``held`` dev/test (generated: also test_novel) sentences per pair
    from ``source``; each source has its own size keys (``data.mini.*`` or ``data.mini.generated.*``)."""
    out = [f"data.mini.sentences={source}"] + ([f"data.mini.pairs={pairs}"] if pairs else [])
    if source == "templates":
        return [
            *out,
            f"data.mini.train_sentences={train}",
            *(f"data.mini.{s}_sentences={held}" for s in ("dev", "test")),
        ]
    gen = "data.mini.generated"
    return [
        *out,
        f"{gen}.train_sentences={train}",
        f"{gen}.shared_sentences={train // 5}",
        *(f"{gen}.{s}_sentences={held}" for s in ("dev", "test", "test_novel")),
    ]


def measure(data_root: Path | None, overrides: list[str], nj: int, with_features: bool) -> dict[str, float]:
    """Prepare into a fresh folder with ``nj`` jobs; return utterances, hours and wall seconds."""
    cfg = load_config(overrides)
    with tempfile.TemporaryDirectory(prefix="bench_prepare.") as tmp:
        start = time.perf_counter()
        report = prepare(data_root, Path(tmp) / "data", cfg.data, nj)
        wall = time.perf_counter() - start
        feats_wall = float("nan")
        if with_features:
            start = time.perf_counter()
            compute_features(Path(tmp) / "data", cfg.features, nj)
            feats_wall = time.perf_counter() - start
    hours = sum(s["hours"] for s in report["splits"].values())
    utts = sum(s["utterances"] for s in report["splits"].values())
    return {"nj": nj, "utts": utts, "hours": hours, "wall": wall, "feats_wall": feats_wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("mini", "switchlingua"), default="mini")
    parser.add_argument(
        "--source",
        choices=("templates", "generated"),
        default="templates",
        help="mini: sentence source (data.mini.sentences; default templates, comparable with earlier benchmarks)",
    )
    parser.add_argument("--sentences", type=int, default=30, help="mini: train sentences per pair")
    parser.add_argument("--files", type=int, default=200, help="switchlingua: number of generated .m4a files")
    parser.add_argument("--features", action="store_true", help="also time stage 1 (fbank + mel + CMVN)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    overrides = ["data.plots=false"]
    with tempfile.TemporaryDirectory(prefix="bench_release.") as tmp:
        data_root = None
        if args.corpus == "mini":
            overrides += mini_overrides(args.source, args.sentences, 5)
        else:
            data_root = make_release(Path(tmp) / "release", args.files)
        # untimed warm-up on a tiny input: first imports and caches must not count against nj 1
        if args.corpus == "mini":
            measure(None, [*overrides, *mini_overrides(args.source, 4, 1, "[zh-en]")], 1, args.features)
        else:
            measure(make_release(Path(tmp) / "warmup", 4), overrides, 1, args.features)
        rows = [measure(data_root, overrides, nj, args.features) for nj in (1, 2)]
    print(f"corpus={args.corpus}  utterances={rows[0]['utts']}  audio={rows[0]['hours']:.3f} h")
    print(f"{'nj':>3} {'wall_s':>8} {'audio_h/wall_min':>17}" + (f" {'features_s':>11}" if args.features else ""))
    for row in rows:
        rate = row["hours"] / (row["wall"] / 60)
        extra = f" {row['feats_wall']:>11.1f}" if args.features else ""
        print(f"{row['nj']:>3} {row['wall']:>8.1f} {rate:>17.3f}{extra}")
    speedup = f"speed-up nj2/nj1: {rows[0]['wall'] / rows[1]['wall']:.2f}x (prepare)"
    if args.features:
        speedup += f", {rows[0]['feats_wall'] / rows[1]['feats_wall']:.2f}x (features)"
    print(speedup)


if __name__ == "__main__":
    main()
