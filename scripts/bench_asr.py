#!/usr/bin/env python
"""Benchmark the CS-ASR model: training throughput and decoding real-time factor, greedy vs beam, side by side.

Training throughput = seconds of audio processed per wall-clock second (forward + backward + optimizer step of
the configured model on duration-bucketed batches). Decoding RTF = decoding wall time / audio duration for
batched CTC greedy search and for ESPnet's joint CTC/attention beam search on the same utterances.

    .venv/bin/python scripts/bench_asr.py --data-dir recipes/switchlingua/data/train \
        --model-dir recipes/switchlingua/exp/asr --decode-dir recipes/switchlingua/data/test
    .venv/bin/python scripts/bench_asr.py            # a toy corpus built on the fly, untrained model
    .venv/bin/python scripts/bench_asr.py --device cuda trainer=gpu asr=gpu_base

Without ``--model-dir`` the decoding numbers come from an untrained model (beam search then runs to the maximum
length, a pessimistic RTF); pass a trained model for representative numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from cstoolkit.core.runtime import init_process

init_process()  # the OpenMP wait policy, before torch loads OpenMP
import torch  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--data-dir", help="training data dir with feats.scp/text (default: a toy corpus)")
    p.add_argument("--units-dir", help="units dir (default: <model-dir>/units or built from --data-dir text)")
    p.add_argument("--model-dir", help="trained model dir for decoding (default: the untrained training model)")
    p.add_argument("--decode-dir", help="data dir to decode (default: --data-dir)")
    p.add_argument("--train-steps", type=int, default=20, help="timed optimizer steps (after 2 warm-up steps)")
    p.add_argument("--decode-utts", type=int, default=40, help="utterances decoded per method")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--out", help="write the results as JSON here too")
    p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. asr=gpu_base trainer=gpu")
    return p.parse_args(argv)


def _toy(root: Path, cfg) -> Path:
    from cstoolkit.asr.synthetic import make_toy_split

    return make_toy_split(root / "train", 96, cfg.features.fbank, seed=7, min_words=4, max_words=12)


def bench_training(cfg, data_dir: Path, units_dir: Path, steps: int, device: torch.device) -> dict:
    """Audio seconds per wall second over ``steps`` optimizer steps of the configured model."""
    from cstoolkit.asr.data import asr_train_set, collate_asr
    from cstoolkit.data.asr_input import asr_frame_seconds
    from cstoolkit.data.loader import loader_from_config
    from cstoolkit.text import TextTokenizer
    from cstoolkit.train.module import build_module

    tok = TextTokenizer(units_dir)
    batch_cfg = cfg.asr.batch
    limits = (int(batch_cfg.max_frames_per_utt), int(batch_cfg.max_tokens_per_utt), int(cfg.asr.input_size))
    dataset, _ = asr_train_set(data_dir, tok.encode, *limits)
    module = build_module(cfg.asr, "asr", token_list=tok.token_list, stats_file=data_dir / "feats_stats.npz")
    module = module.to(device).train()
    optim = module.configure_optimizers()
    optim = optim["optimizer"] if isinstance(optim, dict) else optim
    loader = loader_from_config(dataset, batch_cfg, shuffle=True, seed=0, collate=collate_asr)
    frame_s = asr_frame_seconds(cfg.features)
    amp = device.type == "cuda" and "bf16" in str(cfg.trainer.precision)
    audio, done, start = 0.0, 0, None
    while done < steps + 2:
        for batch in loader:
            if done == 2:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start, audio = time.perf_counter(), 0.0
            batch = type(batch)({k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()})
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = module.compute_losses(batch).loss
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), float(cfg.asr.train.grad_clip))
            optim.step()
            audio += float(batch["speech_lengths"].sum()) * frame_s
            done += 1
            if done >= steps + 2:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    params = sum(p.numel() for p in module.parameters())
    return {
        "steps": steps,
        "audio_seconds": round(audio, 2),
        "wall_seconds": round(wall, 3),
        "audio_s_per_s": round(audio / wall, 2),
        "params_M": round(params / 1e6, 2),
    }


def bench_decoding(cfg, model_dir: Path | None, fallback, decode_dir: Path, n_utts: int, device: torch.device):
    """RTF of greedy and beam decoding on the same ``n_utts`` utterances."""
    from cstoolkit.asr.inference import AsrBundle, load_asr
    from cstoolkit.asr.inference import decode_dir as run_decode

    bundle = load_asr(model_dir, str(device)) if model_dir else fallback
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "data"
        sub.mkdir()
        for name in ("feats.scp", "utt2num_frames", "utt2dur"):
            src = decode_dir / name
            if src.is_file():
                lines = src.read_text(encoding="utf-8").splitlines()[:n_utts]
                (sub / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        if not (sub / "utt2num_frames").is_file() and (decode_dir / "feats_shape").is_file():
            lines = (decode_dir / "feats_shape").read_text().splitlines()[:n_utts]
            (sub / "feats_shape").write_text("\n".join(lines) + "\n")
        out = {}
        for method in ("greedy", "beam"):
            stats = run_decode(bundle, sub, Path(tmp) / method, method, cfg.asr.decode)
            out[method] = {
                "utterances": stats.utterances,
                "audio_seconds": round(stats.audio_seconds, 2),
                "wall_seconds": round(stats.wall_seconds, 3),
                "rtf": round(stats.rtf, 5),
            }
    out["beam_over_greedy"] = round(out["beam"]["rtf"] / out["greedy"]["rtf"], 2)
    out["model"] = str(model_dir) if model_dir else "untrained (pessimistic beam RTF)"
    assert isinstance(bundle, AsrBundle)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from cstoolkit.asr.inference import AsrBundle
    from cstoolkit.asr.model import build_asr_model
    from cstoolkit.config import load_config
    from cstoolkit.data.kaldi_dir import read_kaldi_map
    from cstoolkit.text import TextTokenizer, TextTokensConfig, build_text_tokens

    torch.set_num_threads(args.threads)
    cfg = load_config(args.overrides)
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else _toy(Path(tmp), cfg)
        if args.units_dir:
            units_dir = Path(args.units_dir)
        elif args.model_dir:
            units_dir = Path(args.model_dir) / "units"
        else:
            units_dir = Path(tmp) / "units"
            texts = read_kaldi_map(data_dir / "text").values()
            build_text_tokens(texts, units_dir, TextTokensConfig.from_config(cfg.units))
        train = bench_training(cfg, data_dir, units_dir, args.train_steps, device)
        fallback = None
        if not args.model_dir:
            tok = TextTokenizer(units_dir)
            model = build_asr_model(cfg.asr, tok.token_list, data_dir / "feats_stats.npz").to(device).eval()
            fallback = AsrBundle(model, tok, cfg, device)
        model_dir = Path(args.model_dir) if args.model_dir else None
        decode = bench_decoding(cfg, model_dir, fallback, Path(args.decode_dir or data_dir), args.decode_utts, device)
    result = {
        "machine": {
            "device": str(device),
            "cpu_threads": args.threads,
            "platform": platform.platform(),
            "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        },
        "config": {"asr": cfg.asr.name, "overrides": args.overrides},
        "training": train,
        "decoding": decode,
    }
    print(json.dumps(result, indent=2))
    print(f"\n| device | model | train audio s/s | RTF greedy | RTF beam ({cfg.asr.decode.beam_size}) | beam/greedy |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {result['machine']['gpu'] or 'CPU x' + str(args.threads)} | {cfg.asr.name} | {train['audio_s_per_s']} "
        f"| {decode['greedy']['rtf']} | {decode['beam']['rtf']} | {decode['beam_over_greedy']} |"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
