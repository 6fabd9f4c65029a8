"""``cstk resynthesize``: speech tokens spoken in the voice of a prompt by a trained flow model + HiFi-GAN.

Two ways in:
- ``--prompt voice.wav --tokens FILE --out-dir DIR``: each Kaldi-style line ``uttid t1 t2 ...`` of FILE becomes
  ``DIR/wav/<uttid>.wav`` (22.05 kHz), listed in ``DIR/wav.scp``. A bad line (empty, an unknown token id) is one
  error line naming the file and line; nothing is written then (exit 2).
- ``--data-dir data/test --out-dir DIR``: every utterance of a data directory from its own ``speech_tokens``, with
  another utterance of the same speaker as voice prompt (the recipe's resynthesis; ``cstk evaluate-tts`` judges it).
  Repeat the pair for more data directories (one model load).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import add_dir_pairs, check_non_negative, dir_pairs, positive_int, read_prompt_audio
from cstoolkit.core.runtime import set_torch_threads

HELP = "speak speech tokens in the voice of a prompt (flow-matching model + HiFi-GAN): one wav per token line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="trained flow model directory (cstk train-flow --exp-dir)")
    parser.add_argument("--tokens", help="Kaldi-style token lines 'uttid t1 t2 ...' (with --prompt)")
    parser.add_argument("--prompt", help="voice prompt audio (any format and sample rate; a few seconds)")
    add_dir_pairs(
        parser,
        "resynthesise this data directory instead (prompts: same speaker)",
        "folder to write: wav/<uttid>.wav, wav.scp, synthesis.json",
        required=False,
    )
    parser.add_argument("--steps", type=positive_int, help="Euler steps (default: flow.inference.steps of the model)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance weight (default: the model's)")
    parser.add_argument(
        "--temperature",
        type=float,
        help="scale of the starting noise (0: none; Matcha-TTS speaks at 0.667; default: the model's)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the starting noise")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's)")


def read_token_lines(path: Path, vocab: int) -> dict[str, list[int]]:
    """``uttid t1 t2 ...`` lines -> {uttid: ids}; InputFileError (file and line) for a bad line."""
    from cstoolkit.data.kaldi_dir import read_kaldi_entries
    from cstoolkit.errors import InputFileError

    if not path.is_file():
        raise InputFileError(path, "no such file")
    out: dict[str, list[int]] = {}
    for utt, (line, value) in read_kaldi_entries(path, allow_empty_value=True).items():
        if not value.strip():
            raise InputFileError(path, f"{utt}: no speech tokens", line)
        try:
            ids = [int(v) for v in value.split()]
        except ValueError:
            bad = next(v for v in value.split() if not v.lstrip("-").isdigit())
            raise InputFileError(path, f"{utt}: {bad!r} is not a token id", line) from None
        unknown = [t for t in ids if not 0 <= t < vocab]
        if unknown:
            raise InputFileError(
                path, f"{utt}: unknown speech token id {unknown[0]} (the model's codebook is [0, {vocab}))", line
            )
        out[utt] = ids
    if not out:
        raise InputFileError(path, "no token lines")
    return out


def run(args: argparse.Namespace) -> int:

    from cstoolkit.errors import CstkError, InputFileError
    from cstoolkit.tts.flow.checks import read_flow_config

    if bool(args.data_dir) == bool(args.tokens or args.prompt):
        raise CstkError("give either --data-dir, or --tokens FILE with --prompt AUDIO")
    if not args.data_dir and not (args.tokens and args.prompt):
        raise CstkError("--tokens and --prompt go together")
    if not args.data_dir and len(args.out_dir or []) != 1:
        raise CstkError("--tokens and --prompt go with one --out-dir")
    check_non_negative("--temperature", args.temperature)
    pairs = dir_pairs(args) if args.data_dir else []
    cfg, _ = read_flow_config(args.model)  # a missing or broken model is refused before torch loads
    tokens = read_token_lines(Path(args.tokens), int(cfg.flow.model.encoder.vocab_size)) if args.tokens else None
    prompt_audio = None
    if args.prompt:
        prompt_audio = read_prompt_audio(args.prompt)

    from cstoolkit.tts.flow.synthesis import FlowSynthesizer, PromptError, resynthesize_dir, write_synthesis_dir

    set_torch_threads(args.threads)
    solver = {"steps": args.steps, "guidance": args.guidance, "temperature": args.temperature}
    synth = FlowSynthesizer.load(args.model, args.device, **solver)
    if pairs:
        for data_dir, out_dir in pairs:
            resynthesize_dir(synth, data_dir, out_dir, args.seed)
        return 0
    try:
        prompt = synth.prompt_from_wave(prompt_audio[0], prompt_audio[1], name=str(args.prompt))
    except PromptError as err:
        raise InputFileError(args.prompt, str(err).split(": ", 1)[-1]) from None

    def waves():
        for k, (utt, ids) in enumerate(sorted(tokens.items())):
            yield utt, synth.vocode(synth.generate_mels([ids], [prompt], args.seed + k)[0])

    info = {"kind": "resynthesis", "prompt": str(Path(args.prompt).resolve()), "tokens": str(Path(args.tokens))}
    out = Path(args.out_dir[0])
    write_synthesis_dir(Path(args.tokens).parent, out, waves(), synth.sample_rate, info)
    print(f"{len(tokens)} files in {out / 'wav'}")
    return 0
