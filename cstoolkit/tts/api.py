"""Code-switched text-to-speech: text + a voice prompt -> waveform, with a T2S model directory (``exp/tts``) and the
flow model directory it speaks through (``exp/flow``, named in its ``t2s.json`` by ``cstk train-t2s --flow-dir``).

    text --front end (cstoolkit.text units, a language per unit)--> NarT2S or ArT2S (+ prompt d-vector) --> tokens
         --flow model (+ prompt tokens, mel, d-vector)--> log-mel --HiFi-GAN--> 22.05 kHz waveform

>>> tts = TextToSpeech.load("exp/tts")                                      # doctest: +SKIP
>>> wave, rate = tts.synthesize("我今天去 shopping mall", voice, 16000)       # doctest: +SKIP

The voice prompt may have any sample rate and length (a long one is cut to ``flow.inference.max_prompt_seconds``,
with a note); a silent or too short one is a :class:`~cstoolkit.tts.flow.synthesis.PromptError`. What the model cannot
speak is reported, never dropped silently: text units outside its vocabulary (spoken as ``<unk>``) and language
codes it was not trained on are logged as warnings and returned with each :class:`Speech`; a text with nothing
speakable (no unit after normalisation, or only unknown units) is a :class:`NothingToSpeakError`.

Languages: each unit's language comes from :func:`cstoolkit.text.langs.assign_languages` (never ``und``), with the
pair ``lang`` (a ``utt2lang`` value such as ``zh-en``: the hint for Latin-script matrix languages and for Han
characters), or from inline tags the user writes, ``<es>hola</es> my friend`` (:mod:`cstoolkit.text.lang_markup`).

:func:`cstoolkit.tts.speak_dir.synthesize_dir` speaks every sentence of a data directory in the voice of another
utterance of its speaker (the prompts :func:`~cstoolkit.tts.flow.synthesis.choose_prompts` picks, as resynthesis
does; their tokens, mel and d-vector come from the data directory) into a synthesis folder;
:meth:`TextToSpeech.synthesize_file` does the same for a Kaldi text file and one prompt.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from cstoolkit.data.kaldi_dir import read_kaldi_entries
from cstoolkit.errors import CstkError, InputFileError
from cstoolkit.tts.flow.synthesis import (
    FlowSynthesizer,
    Prompt,
    write_synthesis_dir,
)
from cstoolkit.tts.frontend import FrontEnd, speakable
from cstoolkit.tts.t2s.checks import FLOW_DIR_KEY, T2S_INFO, check_flow_dir, read_t2s_dir
from cstoolkit.tts.t2s.infer import TextToSpeechTokens

log = logging.getLogger(__name__)

KIND = "tts"  # synthesis.json "kind" of a folder written here
T2S_TOKENS_FILE = "t2s_tokens"  # ``utt t1 t2 ...``: the speech tokens the T2S model generated
UNKNOWN_FILE = "unknown_units"  # ``utt unit unit ...``: the units of each utterance spoken as <unk>


class NothingToSpeakError(CstkError):
    """A text with no unit the model can speak (empty after normalisation, or only unknown units)."""


@dataclass
class Speech:
    """One synthesised text: the waveform at ``sample_rate``, its speech tokens, its front end and what it could
    not speak (``unknown_units``, ``unknown_langs``)."""

    wave: np.ndarray
    sample_rate: int
    tokens: list[int]
    frontend: FrontEnd
    unknown_units: list[str] = field(default_factory=list)
    unknown_langs: list[str] = field(default_factory=list)


def import_espnet_quietly() -> None:
    """Import ESPnet's attention module (the T2S front end and the prompt's tokenizer need the CS-ASR code) with its
    print() about flash-attn kept off stderr and logged at debug level: a refused ``cstk synthesize`` prints one
    line. (cstoolkit.asr.model sends that print to stderr; the same capture there would serve every command.)"""
    import contextlib
    import io
    import sys

    if "cstoolkit.asr.model" in sys.modules:
        return
    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(buffer):
        import cstoolkit.asr.model  # noqa: F401
    if buffer.getvalue().strip():
        log.debug("importing ESPnet: %s", buffer.getvalue().strip())


class TextToSpeech:
    """A T2S model and the flow model that speaks its tokens (with the vocoder).

    Args:
        t2s: the text -> speech-token model; flow: the flow model with its vocoder; tts_dir, flow_dir: where they
        came from.
    """

    def __init__(
        self,
        t2s: TextToSpeechTokens,
        flow: FlowSynthesizer,
        tts_dir: Path,
        flow_dir: Path,
        duration_scale: float | None = None,
    ) -> None:
        self.t2s, self.flow, self.tts_dir, self.flow_dir = t2s, flow, Path(tts_dir).resolve(), Path(flow_dir)
        #: multiplies the T2S model's lengths (> 1: slower speech); None: the model's ``t2s.inference.duration_scale``
        self.duration_scale = duration_scale
        #: wall seconds spent in each part since loading (text -> tokens, tokens -> mel, mel -> waveform)
        self.seconds = {"t2s": 0.0, "flow": 0.0, "vocoder": 0.0}

    @classmethod
    def load(
        cls,
        tts_dir: str | Path,
        flow_dir: str | Path | None = None,
        device: str = "cpu",
        duration_scale: float | None = None,
        **solver: float | None,
    ) -> TextToSpeech:
        """Load ``tts_dir`` (``cstk train-t2s --exp-dir``) and the flow model it names (``flow_dir`` overrides).

        ``duration_scale`` (the T2S model's lengths) and ``solver`` (the flow's ``steps=``, ``guidance=``,
        ``temperature=``) replace the models' own inference settings when given (not None)."""
        tts_dir = Path(tts_dir)
        import_espnet_quietly()
        t2s = TextToSpeechTokens.load(tts_dir, device)
        flow_dir = resolve_flow_dir(tts_dir, t2s.info, flow_dir)
        flow = FlowSynthesizer.load(flow_dir, str(t2s.device), **solver)
        return cls(t2s, flow, tts_dir, flow_dir, duration_scale)

    @property
    def sample_rate(self) -> int:
        """Rate of the waveforms this model returns (the vocoder's: 22050 Hz)."""
        return self.flow.sample_rate

    def prompt(self, wave: np.ndarray, sample_rate: int, name: str = "prompt") -> Prompt:
        """The voice prompt of a mono waveform of any rate (see :meth:`FlowSynthesizer.prompt_from_wave`)."""
        return self.flow.prompt_from_wave(wave, sample_rate, name)

    def read_text(self, text: str, lang: str | None = None, name: str = "text") -> tuple[str, list | None]:
        """``(plain_text, segments)`` of a user's text with inline language tags; NothingToSpeakError for an empty
        text or a malformed tag (``name`` says where the text came from)."""
        from cstoolkit.text.lang_markup import split_language_tags

        if not text.strip():
            raise NothingToSpeakError(f"{name}: empty text, nothing to say")
        try:
            plain, segments = split_language_tags(text)
        except CstkError as err:
            raise NothingToSpeakError(f"{name}: {err}") from None
        return plain, segments

    def check_text(self, text: str, lang: str | None = None, segments: list | None = None, name: str = "text"):
        """The front end of ``text``; NothingToSpeakError when the model can speak none of it."""
        front = self.t2s.frontend(text, lang, segments)
        if not speakable(front, self.t2s.units.unk_id):
            shown = text if len(text) <= 60 else text[:57] + "..."
            why = (
                f"every unit is unknown to the model ({' '.join(front.units)})"
                if front.units
                else "no letter or character left after normalisation"
            )
            raise NothingToSpeakError(f"{name}: nothing the model can speak in {shown!r}: {why}")
        return front

    def speak(
        self,
        texts: Sequence[str],
        prompts: Sequence[Prompt],
        langs: Sequence[str | None] | None = None,
        segments: Sequence[list | None] | None = None,
        names: Sequence[str] | None = None,
        seed: int = 0,
    ) -> list[Speech]:
        """Synthesise ``texts`` (plain, already checked with :meth:`check_text`), each in the voice of its prompt:
        one T2S batch, flow batches of ``flow.inference.batch_size``, then the vocoder per text. Unknown units and
        languages are logged as warnings (``names``: how to call each text in them)."""
        names = list(names) if names is not None else [f"text {i + 1}" for i in range(len(texts))]
        speakers = np.stack([p.embedding for p in prompts]) if self.t2s.model.speaker_dim else None
        start = time.perf_counter()
        results = self.t2s.synthesize(
            list(texts), langs, speakers, segments, duration_scale=self.duration_scale, seed=seed
        )
        self.seconds["t2s"] += time.perf_counter() - start
        for name, res in zip(names, results, strict=True):
            if res.unknown_units:
                log.warning(
                    "%s: %d unit(s) unknown to the model, spoken as <unk>: %s",
                    name,
                    len(res.unknown_units),
                    " ".join(res.unknown_units),
                )
            if res.unknown_langs:
                log.warning(
                    "%s: language(s) the model was not trained on (read as unknown): %s",
                    name,
                    ", ".join(res.unknown_langs),
                )
        mels: list[np.ndarray] = []
        size = int(self.flow.inference.batch_size)
        start = time.perf_counter()
        for k in range(0, len(results), size):
            tokens = [r.tokens for r in results[k : k + size]]
            mels += self.flow.generate_mels(tokens, list(prompts[k : k + size]), seed + k // size)
        self.seconds["flow"] += time.perf_counter() - start
        out = []
        for res, mel in zip(results, mels, strict=True):
            start = time.perf_counter()
            wave = self.flow.vocode(mel)
            self.seconds["vocoder"] += time.perf_counter() - start
            out.append(Speech(wave, self.sample_rate, res.tokens, res.frontend, res.unknown_units, res.unknown_langs))
        return out

    def synthesize(
        self, text: str, prompt_wave: np.ndarray, sample_rate: int, lang: str | None = None, seed: int = 0
    ) -> tuple[np.ndarray, int]:
        """Speak ``text`` (inline language tags allowed) in the voice of ``prompt_wave`` (mono, any rate) ->
        ``(waveform, sample_rate)``. ``lang``: a ``utt2lang``-style hint such as ``zh-en`` (default: guessed from
        the scripts). NothingToSpeakError / PromptError for a text or prompt that cannot be used."""
        plain, segments = self.read_text(text, lang)
        self.check_text(plain, lang, segments)
        prompt = self.prompt(prompt_wave, sample_rate)
        speech = self.speak([plain], [prompt], [lang], [segments], seed=seed)[0]
        return speech.wave, speech.sample_rate

    def synthesize_file(
        self,
        text_file: str | Path,
        prompt: Prompt,
        out_dir: str | Path,
        lang: str | None = None,
        seed: int = 0,
        prompt_name: str = "prompt",
    ) -> dict:
        """Every line ``uttid text`` of a Kaldi text file spoken in the voice of ``prompt`` into the synthesis
        folder ``out_dir`` (``wav/<uttid>.wav``, ``wav.scp``, ``text``, ``synthesis.json``; ``utt2lang`` when
        ``lang`` is given). A line that is empty or has nothing speakable is an InputFileError naming the file and
        line, and nothing is written."""
        text_file = Path(text_file)
        if not text_file.is_file():
            raise InputFileError(text_file, "no such file")
        entries = read_kaldi_entries(text_file, allow_empty_value=True)
        if not entries:
            raise InputFileError(text_file, "no text lines")
        items = []
        for utt, (line, value) in entries.items():
            try:
                plain, segments = self.read_text(value, lang, utt)
                front = self.check_text(plain, lang, segments, utt)
            except NothingToSpeakError as err:
                raise InputFileError(text_file, str(err), line) from None
            items.append((utt, plain, segments, len(front.units)))
        with tempfile.TemporaryDirectory() as tmp:  # the source tables of the folder: text (+ utt2lang)
            src = Path(tmp)
            (src / "text").write_text("".join(f"{u} {t}\n" for u, t, _, _ in items), encoding="utf-8")
            if lang:
                (src / "utt2lang").write_text("".join(f"{u} {lang}\n" for u, *_ in items), encoding="utf-8")
            info = {
                "kind": KIND,
                "model": str(self.tts_dir),
                "flow": str(self.flow_dir),
                "prompt": prompt_name,
                "text": str(text_file.resolve()),
                "lang": lang,
                "seed": seed,
            }
            return self._write(
                src, Path(out_dir), items, {u: prompt for u, *_ in items}, {u: lang for u, *_ in items}, info, {}, seed
            )

    def _write(
        self,
        src: Path,
        out_dir: Path,
        items: list[tuple[str, str, list | None, int]],
        prompts: dict[str, Prompt],
        langs: dict[str, str | None],
        info: dict,
        extra: dict[str, list[str]],
        seed: int,
    ) -> dict:
        """Speak ``items`` (``utt, plain text, segments, units``; longest first in batches) into ``out_dir``."""
        from cstoolkit.progress import progress_bar

        before = dict(self.seconds)
        tokens_lines: list[str] = []
        unknown_lines: list[str] = []
        unknown_units: Counter = Counter()
        unknown_langs: Counter = Counter()
        todo = sorted(items, key=lambda it: (-it[3], it[0]))
        size = int(self.flow.inference.batch_size)

        def waves() -> Iterator[tuple[str, np.ndarray]]:
            with progress_bar(total=len(todo), desc="synthesize", unit="utt") as bar:
                for k in range(0, len(todo), size):
                    batch = todo[k : k + size]
                    out = self.speak(
                        [t for _, t, _, _ in batch],
                        [prompts[u] for u, *_ in batch],
                        [langs[u] for u, *_ in batch],
                        [s for _, _, s, _ in batch],
                        [u for u, *_ in batch],
                        seed + k,
                    )
                    for (utt, *_), speech in zip(batch, out, strict=True):
                        tokens_lines.append(f"{utt} {' '.join(map(str, speech.tokens))}")
                        if speech.unknown_units:
                            unknown_lines.append(f"{utt} {' '.join(speech.unknown_units)}")
                            unknown_units.update(speech.unknown_units)
                        unknown_langs.update(speech.unknown_langs)
                        yield utt, speech.wave
                    bar.update(len(batch))
                # filled in before write_synthesis_dir writes synthesis.json (it reads ``info`` after the waves)
                info["seconds"] = {k: round(v - before[k], 3) for k, v in self.seconds.items()}
                info["frontend"] = {
                    "utterances_with_unknown_units": len(unknown_lines),
                    "unknown_units": dict(unknown_units.most_common()),
                    "unknown_languages": dict(unknown_langs.most_common()),
                }
                extra[T2S_TOKENS_FILE] = sorted(tokens_lines)
                extra[UNKNOWN_FILE] = sorted(unknown_lines)

        t2s_inference = OmegaConf.to_container(self.t2s.cfg.t2s.inference, resolve=True)
        if self.duration_scale is not None:
            t2s_inference["duration_scale"] = self.duration_scale
        info["t2s_inference"] = t2s_inference
        info["inference"] = self.flow.inference_record()
        result = write_synthesis_dir(src, out_dir, waves(), self.sample_rate, info, extra)
        if unknown_lines or unknown_langs:
            log.warning(
                "%s: %d utterance(s) with units spoken as <unk> (%s); unknown languages: %s",
                out_dir,
                len(unknown_lines),
                UNKNOWN_FILE,
                dict(unknown_langs) or "none",
            )
        return result


def resolve_flow_dir(tts_dir: str | Path, t2s_info: dict, flow_dir: str | Path | None = None) -> Path:
    """The flow model directory that speaks for the T2S model of ``tts_dir``: ``flow_dir``, or the one its
    ``t2s.json`` names, checked to speak its speech tokens (InputFileError otherwise; no torch needed)."""
    tts_dir = Path(tts_dir)
    if flow_dir is None:
        flow_dir = t2s_info.get(FLOW_DIR_KEY)
        if not flow_dir:
            raise InputFileError(
                tts_dir / T2S_INFO, "names no flow model directory (train-t2s without --flow-dir): give one (--flow)"
            )
    return check_flow_dir(flow_dir, t2s_info, tts_dir / T2S_INFO)


def read_info(tts_dir: str | Path) -> dict:
    """``t2s.json`` of a checked T2S model directory (for the CLI's checks before torch loads)."""
    return read_t2s_dir(tts_dir).info


__all__ = ["NothingToSpeakError", "Speech", "TextToSpeech"]
