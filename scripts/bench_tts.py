#!/usr/bin/env python
"""Benchmark text -> waveform (text -> speech tokens -> flow -> HiFi-GAN) against resynthesis from real speech tokens.

    .venv/bin/python scripts/bench_tts.py --model exp/tts --data-dir data/test --utts 40

For the first ``--utts`` utterances of ``--data-dir`` (prompt: another utterance of the same speaker, its tokens,
mel and d-vector from the data directory, as the recipe does), each repeat times resynthesis from the real speech
tokens (flow + vocoder: the baseline) and then TTS from the text (text -> tokens, flow, vocoder shown apart), in
batches of ``flow.inference.batch_size`` as ``cstk synthesize --data-dir`` does. RTF = wall time / seconds of audio
produced; the best of ``--repeats`` is printed. ``--device cuda`` runs the models on a GPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cstoolkit.core.runtime import init_process

init_process()  # the OpenMP wait policy, before torch loads OpenMP
import numpy as np  # noqa: E402
import torch  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="TTS directory (cstk train-t2s --exp-dir, names its flow model)")
    p.add_argument("--data-dir", required=True, help="data directory with text, speech_tokens, mel.scp, utt_embed.scp")
    p.add_argument("--utts", type=int, default=40)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", help="write the results as JSON here too")
    args = p.parse_args(argv)

    from cstoolkit.data.kaldi_dir import read_kaldi_file, read_utt2spk
    from cstoolkit.data.matrices import load_features
    from cstoolkit.tts.api import TextToSpeech
    from cstoolkit.tts.flow.data import flow_table
    from cstoolkit.tts.flow.synthesis import Prompt, choose_prompts

    torch.set_num_threads(args.threads)
    tts = TextToSpeech.load(args.model, device=args.device)
    data_dir = Path(args.data_dir)
    table = flow_table(data_dir)
    rows = {u: i for i, u in enumerate(table.utt_ids)}
    texts = read_kaldi_file(data_dir / "text")
    langs = read_kaldi_file(data_dir / "utt2lang") if (data_dir / "utt2lang").is_file() else {}
    prompts = choose_prompts(table.utt_ids, read_utt2spk(data_dir))
    utts = [u for u in table.utt_ids if prompts[u] and u in texts][: args.utts]
    n_mels, dim = int(tts.flow.cfg.flow.model.n_mels), int(tts.flow.cfg.flow.model.speaker_dim)

    def prompt_of(utt: str) -> Prompt:
        i = rows[utt]
        mel = load_features(table.columns["mel"][i], n_mels)
        return Prompt(table.columns["speech_tokens"][i], mel, load_features(table.columns["utt_embed"][i], dim)[0])

    voice = [prompt_of(prompts[u]) for u in utts]
    size = int(tts.flow.inference.batch_size)

    def resynthesis() -> tuple[float, float]:
        start, audio = time.perf_counter(), 0.0
        for k in range(0, len(utts), size):
            tokens = [table.columns["speech_tokens"][rows[u]] for u in utts[k : k + size]]
            for mel in tts.flow.generate_mels(tokens, voice[k : k + size], k):
                audio += tts.flow.vocode(mel).size / tts.sample_rate
        return time.perf_counter() - start, audio

    def text_to_speech() -> tuple[float, float, dict[str, float]]:
        tts.seconds = dict.fromkeys(tts.seconds, 0.0)
        start = time.perf_counter()
        speech = tts.speak([texts[u] for u in utts], voice, [langs.get(u) for u in utts], names=utts)
        wall = time.perf_counter() - start
        return wall, sum(s.wave.size for s in speech) / tts.sample_rate, dict(tts.seconds)

    best: dict[str, dict] = {}
    for _ in range(args.repeats):
        wall, audio = resynthesis()
        if "resynthesis" not in best or wall / audio < best["resynthesis"]["rtf"]:
            best["resynthesis"] = {"rtf": wall / audio, "audio_seconds": audio}
        wall, audio, parts = text_to_speech()
        if "tts" not in best or wall / audio < best["tts"]["rtf"]:
            best["tts"] = {
                "rtf": wall / audio,
                "audio_seconds": audio,
                **{f"rtf_{k}": v / audio for k, v in parts.items()},
            }
    result = {
        "utterances": len(utts),
        "threads": args.threads,
        "device": args.device,
        "gpu": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else None,
        "steps": tts.flow.solver.steps,
        "guidance": tts.flow.solver.guidance,
        **{k: {m: round(float(x), 4) for m, x in v.items()} for k, v in best.items()},
    }
    print(json.dumps(result, indent=1))
    t, r = best["tts"], best["resynthesis"]
    print(
        f"\n| | RTF | text -> tokens | flow | vocoder | audio s |\n|---|---|---|---|---|---|\n"
        f"| resynthesis from real tokens (baseline) | {r['rtf']:.3f} | - | | | {r['audio_seconds']:.1f} |\n"
        f"| TTS from text | {t['rtf']:.3f} ({t['rtf'] / r['rtf']:.2f}x) | {t.get('rtf_t2s', 0):.4f} | "
        f"{t.get('rtf_flow', 0):.3f} | {t.get('rtf_vocoder', 0):.3f} | {t['audio_seconds']:.1f} |"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if np.isfinite(t["rtf"]) else 1


if __name__ == "__main__":
    sys.exit(main())
