#!/usr/bin/env python
"""Benchmark speech-token extraction: audio seconds tokenized per wall second, batched vs one utterance at a time.

Both ways run in the same process on the same utterances (features already computed, as ``cstk tokenize
--data-dir`` reads them), interleaved over ``--repeats`` rounds, best round of each reported; the tokens of the
two ways are compared (they must be identical).

    .venv/bin/python scripts/bench_tokenize.py --model-dir recipes/switchlingua/exp/tokenizer \
        --data-dir recipes/switchlingua/data/test
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

from cstoolkit.core.runtime import init_process

init_process()  # the OpenMP wait policy, before torch loads OpenMP
import torch  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--model-dir", required=True, help="trained tokenizer directory")
    p.add_argument("--data-dir", required=True, help="data directory with feats.scp (and utt2dur)")
    p.add_argument("--utts", type=int, default=0, help="first N utterances (0: all)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds; the best of each way is reported")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--out", help="write the results as JSON here too")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from cstoolkit.asr.data import asr_table
    from cstoolkit.data.matrices import load_features
    from cstoolkit.tokenizer.extract import SpeechTokenizer

    tok = SpeechTokenizer.load(args.model_dir, args.device)
    table = asr_table(args.data_dir, with_text=False)
    specs = table.columns["speech"][: args.utts or None]
    feats = [torch.from_numpy(load_features(s)) for s in specs]
    frame_s = float(tok.cfg.features.fbank.frame_shift) / 1000.0
    audio_s = sum(f.shape[0] for f in feats) * frame_s
    tok.encode_features(feats[:2])  # warm-up

    def batched():
        return tok.encode_features(feats)

    def alone():
        return [tok.encode_features([f])[0] for f in feats]

    best = {"batched": float("inf"), "one_at_a_time": float("inf")}
    outputs = {}
    for _ in range(args.repeats):
        for name, fn in (("batched", batched), ("one_at_a_time", alone)):
            start = time.perf_counter()
            outputs[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    tok.fallbacks = 0
    batched()
    result = {
        "utterances": len(feats),
        "audio_seconds": round(audio_s, 1),
        "device": str(tok.device),
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "batch_frames": tok.batch_frames,
        "batched_audio_s_per_s": round(audio_s / best["batched"], 1),
        "one_at_a_time_audio_s_per_s": round(audio_s / best["one_at_a_time"], 1),
        "speedup": round(best["one_at_a_time"] / best["batched"], 2),
        "identical_tokens": outputs["batched"] == outputs["one_at_a_time"],
        "re_encoded_alone_per_pass": tok.fallbacks,
    }
    print(f"{len(feats)} utterances, {audio_s:.0f} s of audio, {result['device']}, {result['threads']} threads")
    print(f"  batched ({tok.batch_frames} frames a batch): {result['batched_audio_s_per_s']:,.0f} audio s / wall s")
    print(f"  one at a time: {result['one_at_a_time_audio_s_per_s']:,.0f} audio s / wall s")
    print(
        f"  batched / one at a time: {result['speedup']}x; identical tokens: {result['identical_tokens']} "
        f"({result['re_encoded_alone_per_pass']} utterances re-encoded alone for a near-tie)"
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return 0 if result["identical_tokens"] else 1


if __name__ == "__main__":
    sys.exit(main())
