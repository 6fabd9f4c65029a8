#!/usr/bin/env python
"""Benchmark the CS-ASR input features: Whisper encoder states against Kaldi fbank, on the same utterances.

Audio seconds made per wall second, one process, for ``features.asr_input=fbank`` (the baseline) and
``features.asr_input=whisper`` (Whisper base's encoder through CTranslate2 int8, each utterance at its own length),
interleaved over ``--rounds`` rounds after an untimed warm-up (model loading excluded), with the ratio of the two.
The training throughput of the model on top of each is ``scripts/bench_asr.py --data-dir <split> [features.asr_input
=whisper asr=cpu_whisper]``.

    .venv/bin/python scripts/bench_asr_input.py --wav-scp recipes/switchlingua/data/test/wav.scp
    .venv/bin/python scripts/bench_asr_input.py            # 40 synthetic 2-6 s utterances
"""

from __future__ import annotations

import argparse
import platform
import time

from cstoolkit.core.runtime import init_process

init_process()
import numpy as np  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--wav-scp", help="Kaldi wav.scp of the utterances (default: synthetic tones)")
    p.add_argument("--utts", type=int, default=40, help="utterances timed (the first N of --wav-scp)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    p.add_argument("--threads", type=int, default=1, help="CPU threads of each extractor")
    p.add_argument("--out", help="write the results as JSON here too")
    return p.parse_args(argv)


def load_waves(wav_scp: str | None, n: int) -> list[np.ndarray]:
    """``n`` mono 16 kHz signals: the first of ``wav_scp``, or seeded speech-like tones of 2-6 s."""
    from cstoolkit.data.audio import load_audio
    from cstoolkit.data.kaldi_dir import read_kaldi_map

    if wav_scp:
        paths = list(read_kaldi_map(wav_scp).values())[:n]
        return [load_audio(p, target_sr=16000)[0] for p in paths]
    rng = np.random.default_rng(0)
    waves = []
    for _ in range(n):
        t = np.arange(int(rng.uniform(2, 6) * 16000)) / 16000
        f0 = rng.uniform(100, 250)
        wave = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
        waves.append((0.2 * wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32))
    return waves


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from cstoolkit.config import load_config
    from cstoolkit.core.runtime import set_torch_threads
    from cstoolkit.data.asr_input import asr_features

    set_torch_threads(args.threads)
    waves = load_waves(args.wav_scp, args.utts)
    audio_s = sum(w.size for w in waves) / 16000
    kinds = {
        k: OmegaConf.to_container(load_config([f"features.asr_input={k}"]).features, resolve=True)
        for k in ("fbank", "whisper")
    }
    for cfg in kinds.values():  # warm-up: loads the Whisper model, first-call allocations
        asr_features(waves[0], cfg, threads=args.threads)
    walls = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind, cfg in kinds.items():
            start = time.perf_counter()
            for wave in waves:
                asr_features(wave, cfg, threads=args.threads)
            walls[kind].append(time.perf_counter() - start)
    result = {
        "machine": platform.processor() or platform.machine(),
        "utterances": len(waves),
        "audio_seconds": round(audio_s, 1),
        "threads": args.threads,
    }
    for kind, times in walls.items():
        best = min(times)
        result[kind] = {"audio_s_per_s": round(audio_s / best, 1), "wall_s": [round(t, 3) for t in times]}
    result["whisper_time_over_fbank"] = round(min(walls["whisper"]) / min(walls["fbank"]), 2)
    print(f"{len(waves)} utterances, {audio_s:.1f} s of audio, {args.threads} thread(s), best of {args.rounds}:")
    for kind in kinds:
        print(f"  {kind:8s} {result[kind]['audio_s_per_s']:8.1f} audio s/s")
    print(f"  whisper takes {result['whisper_time_over_fbank']}x the time of fbank")
    if args.out:
        from cstoolkit.core.atomic import atomic_write_json

        atomic_write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
