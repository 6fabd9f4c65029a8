"""``cstk synthesize``: code-switched text spoken in the voice of a prompt (T2S model -> flow model -> HiFi-GAN).

Three ways in:
- ``--prompt voice.wav --out out.wav "TEXT"``: one sentence into one audio file (wav or flac, 22.05 kHz).
- ``--prompt voice.wav --text FILE --out-dir DIR``: each Kaldi-style line ``uttid text`` of FILE becomes
  ``DIR/wav/<uttid>.wav``, listed in ``DIR/wav.scp`` with ``DIR/text`` and ``DIR/synthesis.json`` (a synthesis
  folder ``cstk evaluate-tts`` can judge). A bad line (empty, nothing speakable) is one error line naming the file
  and line; nothing is written then.
- ``--data-dir data/test --out-dir DIR``: every sentence of a data directory in the voice of another utterance of
  the same speaker (the recipe's TTS of the test set; the prompts' tokens, mel and d-vectors come from the data
  directory, as ``cstk resynthesize --data-dir`` takes them).

``--lang zh-en`` tells the language pair (the matrix language of Han characters or of Latin-script matrix
languages); inline tags mark the language of a span: ``"<es>hola</es> my friend"``. Units the model does not know
and languages it was not trained on are warned about (and listed in the folder's ``unknown_units`` and
``synthesis.json``). Bad input is one line on stderr and exit 2: an empty text, a text with nothing the model can
speak, a prompt that cannot be read, or one that is silent or too short.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cstoolkit.cli.common import check_non_negative, positive_int, read_prompt_audio
from cstoolkit.core.runtime import set_torch_threads

HELP = "speak code-switched text in the voice of a prompt (T2S + flow matching + HiFi-GAN)"
#: audio formats ``--out`` may name (by its extension)
OUT_FORMATS = {".wav": "wav", ".flac": "flac"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sentence", nargs="?", help="the text to speak (with --out)")
    parser.add_argument("--model", required=True, help="trained T2S model directory (cstk train-t2s --exp-dir)")
    parser.add_argument("--flow", help="flow model directory (default: the one the T2S model's t2s.json names)")
    parser.add_argument("--prompt", help="voice prompt audio (any format, sample rate and length; a few seconds)")
    parser.add_argument("--out", help="audio file to write for SENTENCE (.wav or .flac)")
    parser.add_argument("--text", help="Kaldi text file 'uttid text' to speak (with --prompt and --out-dir)")
    parser.add_argument("--data-dir", help="speak every sentence of this data directory (prompts: same speaker)")
    parser.add_argument(
        "--prompts-from",
        help="with --data-dir: take each voice prompt from this data directory "
        "(an utterance of the same speaker), e.g. new sentences (cstk novel-sentences) in the voices "
        "of data/test",
    )
    parser.add_argument("--out-dir", help="synthesis folder to write: wav/<uttid>.wav, wav.scp, synthesis.json")
    parser.add_argument("--lang", help="language pair of the text, e.g. zh-en (default: guessed from the scripts)")
    parser.add_argument(
        "--show-text",
        action="store_true",
        help="print what the model will read (language segments with numbers and acronyms written out, its units "
        "with unknown ones marked '?') for SENTENCE or each line of --text, and exit without synthesising",
    )
    parser.add_argument("--steps", type=positive_int, help="Euler steps (default: flow.inference.steps of the flow)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance weight (default: the flow's)")
    parser.add_argument(
        "--temperature",
        type=float,
        help="scale of the starting noise (0: none; Matcha-TTS speaks at 0.667; default: the flow's)",
    )
    parser.add_argument("--duration-scale", type=float, help="> 1 speaks slower (default: t2s.inference's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the starting noise")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's)")


def check_args(args: argparse.Namespace) -> str:
    """The mode (``sentence``, ``text`` or ``data``) after checking the options that go with it (CstkError)."""
    from cstoolkit.errors import CstkError

    modes = [
        m
        for m, given in (("sentence", args.sentence is not None), ("text", args.text), ("data", args.data_dir))
        if given
    ]
    if len(modes) != 1:
        raise CstkError(
            "give one of: a SENTENCE (with --prompt and --out), --text FILE (with --prompt and "
            "--out-dir), or --data-dir (with --out-dir)"
        )
    mode = modes[0]
    if getattr(args, "show_text", False):
        if mode == "data":
            raise CstkError("--show-text goes with a SENTENCE or --text FILE")
        if mode == "sentence" and not args.sentence.strip():
            raise CstkError("empty text: nothing to say")
        return mode
    if mode == "sentence":
        if not (args.prompt and args.out) or args.out_dir:
            raise CstkError("a SENTENCE goes with --prompt AUDIO and --out FILE (not --out-dir)")
        if Path(args.out).suffix.lower() not in OUT_FORMATS:
            raise CstkError(f"--out {args.out}: name a .wav or .flac file")
        if not args.sentence.strip():
            raise CstkError("empty text: nothing to say")
    elif mode == "text" and (not (args.prompt and args.out_dir) or args.out):
        raise CstkError("--text FILE goes with --prompt AUDIO and --out-dir DIR (not --out)")
    elif mode == "data" and (not args.out_dir or args.prompt or args.out or args.lang):
        raise CstkError("--data-dir goes with --out-dir only (prompts and languages come from the data directory)")
    if args.prompts_from and mode != "data":
        raise CstkError("--prompts-from goes with --data-dir")
    if args.duration_scale is not None and not args.duration_scale > 0:
        raise CstkError(f"--duration-scale must be above 0, got {args.duration_scale}")
    check_non_negative("--temperature", args.temperature)
    return mode


def run(args: argparse.Namespace) -> int:

    from cstoolkit.errors import InputFileError
    from cstoolkit.tts.api import read_info, resolve_flow_dir

    mode = check_args(args)
    info = read_info(args.model)  # a missing model is refused before torch loads
    if args.show_text:
        return show_text(args, mode)
    resolve_flow_dir(args.model, info, args.flow)  # so is a flow model that cannot speak its tokens
    prompt_audio = None
    if args.prompt:
        prompt_audio = read_prompt_audio(args.prompt)

    from cstoolkit.tts.api import TextToSpeech
    from cstoolkit.tts.flow.synthesis import PromptError
    from cstoolkit.tts.speak_dir import synthesize_dir

    set_torch_threads(args.threads)
    solver = {"steps": args.steps, "guidance": args.guidance, "temperature": args.temperature}
    tts = TextToSpeech.load(args.model, args.flow, args.device, args.duration_scale, **solver)
    if mode == "data":
        info = synthesize_dir(tts, args.data_dir, args.out_dir, args.seed, args.prompts_from)
        print(f"{info['utterances']} files in {Path(args.out_dir) / 'wav'} (RTF {info['rtf']})")
        return 0
    if mode == "sentence":  # the text first: a refused text must not wait for the prompt's tokenizer
        plain, segments = tts.read_text(args.sentence, args.lang)
        tts.check_text(plain, args.lang, segments)
    try:
        prompt = tts.prompt(prompt_audio[0], prompt_audio[1], name=str(args.prompt))
    except PromptError as err:
        raise InputFileError(args.prompt, str(err).split(": ", 1)[-1]) from None
    if mode == "text":
        out = Path(args.out_dir)
        info = tts.synthesize_file(args.text, prompt, out, args.lang, args.seed, str(Path(args.prompt).resolve()))
        print(f"{info['utterances']} files in {out / 'wav'} (RTF {info['rtf']})")
        return 0
    from cstoolkit.data.audio import write_audio

    speech = tts.speak([plain], [prompt], [args.lang], [segments], ["text"], args.seed)[0]
    write_audio(args.out, speech.wave, speech.sample_rate, OUT_FORMATS[Path(args.out).suffix.lower()])
    print(f"{args.out}: {speech.wave.size / speech.sample_rate:.2f} s at {speech.sample_rate} Hz")
    return 0


def show_text(args: argparse.Namespace, mode: str) -> int:
    """Print the front end's reading of the SENTENCE (or of each line of --text) without loading any model."""
    from cstoolkit.data.kaldi_dir import read_kaldi_entries
    from cstoolkit.errors import InputFileError
    from cstoolkit.text.lang_markup import split_language_tags
    from cstoolkit.tts.frontend import describe, load_frontend

    frontend = load_frontend(args.model)
    if mode == "sentence":
        items = [("", args.sentence)]
    else:
        if not Path(args.text).is_file():
            raise InputFileError(args.text, "no such file")
        items = [
            (utt, value) for utt, (_, value) in read_kaldi_entries(Path(args.text), allow_empty_value=True).items()
        ]
    for name, text in items:
        plain, segments = split_language_tags(text)
        lines = describe(frontend(plain, args.lang, segments))
        print("\n".join(f"{name} {line}" if name else line for line in lines))
    return 0
