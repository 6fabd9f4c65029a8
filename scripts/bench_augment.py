#!/usr/bin/env python
"""Benchmark waveform augmentation for ASR training: on-the-fly in the loader vs augmented copies made once.

(a) baseline, what training does today: read precomputed fbank features (kaldiio, ``feats.scp``);
(b) on-the-fly, as lhotse/icefall do: read the audio file, augment (speed + reverb + noise, every utterance; and
    with the ``augment=default`` probabilities), compute the fbank, all in the loader;
(c) copies made once, as Kaldi does: 3-way speed-perturbed audio (0.9/1.0/1.1) and its features on disk.

Throughput is audio seconds per wall second of one process with one torch thread (one loader worker), side by side
with the baseline measured in the same run. A toy set of generated speech-like audio is used unless ``--data-dir``
names a prepared split (``wav.scp``).

    .venv/bin/python scripts/bench_augment.py [--utts 60] [--data-dir recipes/switchlingua/data/train]
                                              [--train-audio-per-s 132]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch

from cstoolkit.config import load_config
from cstoolkit.data.audio import load_audio, write_audio
from cstoolkit.data.augment import Augmenter
from cstoolkit.data.features import fbank
from cstoolkit.data.kaldi_dir import read_kaldi_file

SR = 16000


def toy_set(folder: Path, utts: int, seed: int) -> dict[str, str]:
    """Speech-like FLAC files of 2-6 s: harmonic tones with syllable-rate modulation and pauses."""
    rng = np.random.default_rng(seed)
    wav_scp = {}
    for i in range(utts):
        seconds = rng.uniform(2.0, 6.0)
        t = np.arange(int(seconds * SR)) / SR
        f0 = rng.uniform(90, 250) * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        wave = sum(np.sin(h * phase) / h for h in range(1, 8))
        wave *= np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t), 0, None) ** 2
        path = folder / f"utt{i:04d}.flac"
        write_audio(path, (0.3 * wave / np.abs(wave).max()).astype(np.float32), SR)
        wav_scp[f"utt{i:04d}"] = str(path)
    return wav_scp


def timed(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` runs (after one untimed warm-up)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def folder_bytes(paths) -> int:
    return sum(os.path.getsize(p) for p in paths)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data-dir", help="a prepared split with wav.scp (default: a generated toy set)")
    p.add_argument("--utts", type=int, default=60, help="utterances used (toy set size, or the first N)")
    p.add_argument("--repeats", type=int, default=2, help="best of N timed passes")
    p.add_argument(
        "--train-audio-per-s",
        type=float,
        default=None,
        help="training throughput (audio s / wall s): print (b) as a share of a step",
    )
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    cfg = load_config()
    fb_cfg = dict(cfg.features.fbank)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.data_dir:
            wav_scp = dict(sorted(read_kaldi_file(Path(args.data_dir) / "wav.scp").items())[: args.utts])
            source = args.data_dir
        else:
            wav_scp = toy_set(tmp / "audio", args.utts, args.seed)
            source = "generated toy set"
        audio = {u: load_audio(path, SR)[0] for u, path in wav_scp.items()}
        seconds = sum(a.size for a in audio.values()) / SR
        print(
            f"data: {len(audio)} utterances, {seconds:.1f} s of audio ({source}); 1 process, 1 torch thread, "
            f"best of {args.repeats}"
        )

        # (a) precomputed features: what training reads today
        import kaldiio

        ark = tmp / "feats.ark"
        with kaldiio.WriteHelper(f"ark,scp:{ark},{tmp / 'feats.scp'}") as writer:
            for uttid, wav in audio.items():
                writer(uttid, fbank(wav, fb_cfg))
        specs = list(read_kaldi_file(tmp / "feats.scp").values())
        t_a = timed(lambda: [np.array(kaldiio.load_mat(s), dtype=np.float32) for s in specs], args.repeats)

        # (b) on the fly: read audio + augment + fbank
        always = Augmenter(seed=args.seed, speed_factors=[0.9, 1.1], noise_prob=1.0, reverb_prob=1.0, gain_prob=1.0)
        from hydra.utils import instantiate

        default = instantiate(load_config(["+augment=default"]).augment)

        def on_the_fly(aug: Augmenter | None, epoch: int = 0) -> None:
            for uttid, path in wav_scp.items():
                wav, _ = load_audio(path, SR)
                fbank(aug(wav, uttid, epoch) if aug else wav, fb_cfg)

        t_read_fbank = timed(lambda: on_the_fly(None), args.repeats)
        t_always = timed(lambda: on_the_fly(always), args.repeats)
        t_default = timed(lambda: on_the_fly(default), args.repeats)

        # (c) speed-perturbed copies made once (Kaldi): audio + features of 0.9 and 1.1 next to the originals
        from cstoolkit.data.augment import speed_perturb

        start = time.perf_counter()
        copies, copy_seconds = [], 0.0
        with kaldiio.WriteHelper(f"ark,scp:{tmp / 'sp.ark'},{tmp / 'sp.scp'}") as writer:
            for factor in (0.9, 1.1):
                for uttid, wav in audio.items():
                    out = speed_perturb(wav, SR, factor)
                    path = tmp / "sp" / f"sp{factor}-{uttid}.flac"
                    write_audio(path, out, SR)
                    copies.append(path)
                    copy_seconds += out.size / SR
                    writer(f"sp{factor}-{uttid}", fbank(out, fb_cfg))
        t_copies = time.perf_counter() - start
        base_audio = folder_bytes(wav_scp.values())
        base_feats = os.path.getsize(ark)
        extra = folder_bytes(copies) + os.path.getsize(tmp / "sp.ark")

    def rate(t: float) -> float:
        return seconds / t

    a = rate(t_a)
    print()
    print("| loader | audio s / wall s | vs (a) |")
    print("|---|---|---|")
    print(f"| (a) read precomputed fbank (kaldiio) | {a:,.0f} | 1x |")
    rows = [
        ("read audio + fbank, no augmentation", t_read_fbank),
        ("(b) read audio + speed + reverb + noise + gain + fbank, every utterance", t_always),
        ("(b') the same with the augment=default probabilities", t_default),
    ]
    for name, t in rows:
        print(f"| {name} | {rate(t):,.0f} | {a / rate(t):.0f}x slower |")
    hour = 3600.0 / seconds
    print()
    print(
        f"(c) 3-way speed-perturbed copies made once: {t_copies:.1f} s for {copy_seconds:.0f} s of new audio "
        f"({copy_seconds / t_copies:,.0f} audio s / wall s, once)"
    )
    print(
        f"    disk per hour of original audio: audio {base_audio * hour / 1e6:,.0f} MB + fbank "
        f"{base_feats * hour / 1e6:,.0f} MB today; the copies add {extra * hour / 1e6:,.0f} MB "
        f"({(base_audio + base_feats + extra) / (base_audio + base_feats):.1f}x the disk)"
    )
    print("    (the copies hold one fixed speed each; noise and reverb copies would multiply the disk again)")
    if args.train_audio_per_s:
        for name, t in rows[1:]:
            share = args.train_audio_per_s / rate(t)
            print(
                f"at {args.train_audio_per_s:g} training audio s / wall s, {name.split(' ')[0]} loading costs "
                f"{share:.0%} of a training step's time in one loader process (vs "
                f"{args.train_audio_per_s / a:.1%} for (a))"
            )


if __name__ == "__main__":
    main()
