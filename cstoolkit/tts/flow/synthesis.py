"""Speech tokens + a voice prompt -> waveform, with a trained flow model directory (``exp/flow``) and the vocoder.

:class:`FlowSynthesizer` is the Python API: load a model directory, turn a prompt waveform (any sample rate) into a
:class:`Prompt` (its speech tokens from the tokenizer the model was trained on, its log-mel and its speaker
embedding), and generate the waveform of any token sequence in that voice::

    synth = FlowSynthesizer.load("exp/flow")
    wave, rate = synth.resynthesize([12, 408, 77, ...], prompt_wave, 16000)

:func:`resynthesize_dir` and :func:`vocode_dir` write a whole data directory's worth of audio (the recipe's
resynthesis of the test set, and its copy-synthesis upper bound) as a data directory of their own: ``wav/``,
``wav.scp``, the source's text/utt2lang/utt2seg/utt2spk, and ``synthesis.json`` (what was done, wall time, RTF).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.atomic import atomic_dir, atomic_write_lines, atomic_write_text
from cstoolkit.core.modeldir import WEIGHTS_FILE, load_weights
from cstoolkit.data.audio import resample, write_audio
from cstoolkit.data.kaldi_dir import read_utt2spk
from cstoolkit.data.matrices import load_features
from cstoolkit.errors import CstkError, InputFileError
from cstoolkit.progress import progress_bar
from cstoolkit.tts.flow.checks import read_flow_config
from cstoolkit.tts.flow.data import flow_table
from cstoolkit.tts.flow.model import FlowModel, build_flow_model

log = logging.getLogger(__name__)

#: what a synthesis folder records besides its audio
SYNTH_INFO = "synthesis.json"
PROMPTS_FILE = "prompts"  # ``uttid prompt_uttid`` of a resynthesised data directory


class PromptError(CstkError):
    """A voice prompt that cannot be used (silent, too short, no speech tokens)."""


@dataclass
class Prompt:
    """A voice prompt: its speech tokens, its log-mel ``(T, n_mels)`` (frames first, as ``mel.scp``) and its
    speaker embedding ``(speaker_dim,)``."""

    tokens: list[int]
    mel: np.ndarray
    embedding: np.ndarray


@dataclass(frozen=True)
class FlowSolver:
    """How the flow's ODE is solved at inference: Euler ``steps``, classifier-free ``guidance`` weight, time
    ``schedule`` (linear or cosine) and the ``temperature`` of the starting noise."""

    steps: int
    guidance: float
    schedule: str
    temperature: float

    @classmethod
    def from_config(cls, inference_cfg: DictConfig, **overrides: float | None) -> FlowSolver:
        """A model's own ``flow.inference`` settings, with the fields given in ``overrides`` (``steps=``,
        ``guidance=``, ``temperature=``; None: the model's own) on top. An unknown field is a TypeError."""
        own = cls(
            int(inference_cfg.steps),
            float(inference_cfg.guidance),
            str(inference_cfg.schedule),
            float(inference_cfg.temperature),
        )
        return dataclasses.replace(own, **{name: value for name, value in overrides.items() if value is not None})


class FlowSynthesizer:
    """A trained flow model with its vocoder; the speaker encoder and the tokenizer load on first need.

    Args:
        model: the flow model (eval mode); cfg: the model directory's composed config; info: its ``flow.json``.
        device: torch device of the flow model and the vocoder.
        solver: how :meth:`generate_mels` solves the ODE (default: the model's ``flow.inference`` settings).
    """

    def __init__(
        self, model: FlowModel, cfg: DictConfig, info: dict, device: str = "cpu", solver: FlowSolver | None = None
    ) -> None:
        from cstoolkit.tts.pretrained.vocoder import Vocoder

        self.model, self.cfg, self.info, self.device = model.to(device).eval(), cfg, info, device
        self.inference = cfg.flow.inference
        self.solver = solver or FlowSolver.from_config(self.inference)
        self.mel_cfg = OmegaConf.to_container(cfg.features.mel, resolve=True)
        self.vocoder = Vocoder(str(cfg.flow.vocoder.model), device, self.mel_cfg)
        self._speaker = None
        self._tokenizer = None

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "cpu", **solver: float | None) -> FlowSynthesizer:
        """Load ``model_dir`` (``cstk train-flow --exp-dir``); ``solver`` (``steps=``, ``guidance=``,
        ``temperature=``; None: the model's own) sets the ODE solver (:meth:`FlowSolver.from_config`)."""
        cfg, info = read_flow_config(model_dir)
        model = build_flow_model(cfg.flow)
        load_weights(model, Path(model_dir) / WEIGHTS_FILE)
        return cls(model, cfg, info, device, FlowSolver.from_config(cfg.flow.inference, **solver))

    def inference_record(self) -> dict:
        """The inference settings a synthesis folder records: the model's ``flow.inference`` with the solver used."""
        return {**OmegaConf.to_container(self.inference, resolve=True), **dataclasses.asdict(self.solver)}

    @property
    def sample_rate(self) -> int:
        """Rate of the waveforms this synthesizer returns (the vocoder's: 22050 Hz)."""
        return self.vocoder.sample_rate

    @property
    def speaker_encoder(self):
        if self._speaker is None:
            from cstoolkit.tts.pretrained.speaker import SpeakerEncoder

            spk = self.cfg.flow.speaker
            self._speaker = SpeakerEncoder(str(spk.device), float(spk.rate), float(spk.min_coverage))
        return self._speaker

    @property
    def tokenizer(self):
        """The speech tokenizer the model was trained on (``flow.json`` names its directory)."""
        if self._tokenizer is None:
            from cstoolkit.tokenizer.extract import SpeechTokenizer

            self._tokenizer = SpeechTokenizer.load(self.info["tokenizer"], "cpu")
        return self._tokenizer

    def check_tokens(self, tokens: list[int], where: str = "tokens") -> None:
        """CstkError for an empty sequence or an id outside the codebook."""
        vocab = int(self.cfg.flow.model.encoder.vocab_size)
        if not tokens:
            raise CstkError(f"{where}: no speech tokens to speak")
        bad = [t for t in tokens if not 0 <= t < vocab]
        if bad:
            raise CstkError(f"{where}: unknown speech token id {bad[0]} (the model's codebook is [0, {vocab}))")

    def prompt_from_wave(self, wave: np.ndarray, sample_rate: int, name: str = "prompt") -> Prompt:
        """A :class:`Prompt` from a mono waveform of any rate; longer than ``max_prompt_seconds``: its start is
        used (logged). PromptError when it is silent, not finite or shorter than ``min_prompt_seconds``."""
        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim != 1 or not np.all(np.isfinite(wave)):
            raise PromptError(f"{name}: expected a finite mono waveform")
        seconds = wave.size / sample_rate
        low, high = float(self.inference.min_prompt_seconds), float(self.inference.max_prompt_seconds)
        if seconds < low:
            raise PromptError(f"{name}: {seconds:.2f} s of audio; a voice prompt needs at least {low:g} s")
        if np.max(np.abs(wave)) < 1e-3:
            raise PromptError(f"{name}: silent (peak below -60 dBFS); a voice prompt needs speech")
        if seconds > high:
            log.info("%s: %.1f s long; its first %g s are the voice prompt", name, seconds, high)
            wave = wave[: int(high * sample_rate)]
        from cstoolkit.data.features import hifigan_mel

        mel = hifigan_mel(resample(wave, sample_rate, int(self.mel_cfg["sample_rate"])), self.mel_cfg)
        tokens = self.tokenizer.encode(wave, sample_rate)
        if not tokens:
            raise PromptError(f"{name}: too short for a single speech token")
        return Prompt(tokens, mel, self.speaker_encoder.embed(wave, sample_rate))

    @torch.no_grad()
    def generate_mels(
        self, tokens: list[list[int]], prompts: list[Prompt], seed: int = 0, solver: FlowSolver | None = None
    ) -> list[np.ndarray]:
        """Log-mels ``(T_i, n_mels)`` of each token sequence in the voice of its prompt (one flow batch), solved
        with ``solver`` (default: :attr:`solver`)."""
        dev = self.device
        lens = torch.tensor([len(t) for t in tokens], device=dev)
        ids = torch.nn.utils.rnn.pad_sequence([torch.tensor(t) for t in tokens], batch_first=True).to(dev)
        p_lens = torch.tensor([len(p.tokens) for p in prompts], device=dev)
        p_ids = torch.nn.utils.rnn.pad_sequence([torch.tensor(p.tokens) for p in prompts], batch_first=True).to(dev)
        m_lens = torch.tensor([len(p.mel) for p in prompts], device=dev)
        p_mel = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(p.mel) for p in prompts], batch_first=True)
        speaker = torch.from_numpy(np.stack([p.embedding for p in prompts])).to(dev)
        generator = torch.Generator(device=dev).manual_seed(seed)
        sol = solver or self.solver
        mel = self.model.generate(
            ids,
            lens,
            p_ids,
            p_mel.transpose(1, 2).to(dev),
            speaker,
            steps=sol.steps,
            guidance=sol.guidance,
            schedule=sol.schedule,
            prompt_token_lens=p_lens,
            prompt_mel_lens=m_lens,
            temperature=sol.temperature,
            generator=generator,
        )
        frames = self.model.frames_for(lens)
        return [mel[i, :, : int(frames[i])].T.cpu().numpy() for i in range(len(tokens))]

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """Waveform (float32, :attr:`sample_rate`) of a log-mel ``(T, n_mels)``."""
        return self.vocoder(np.ascontiguousarray(mel.T))

    def resynthesize(self, tokens: list[int], prompt_wave: np.ndarray, sample_rate: int, seed: int = 0):
        """Speak ``tokens`` in the voice of ``prompt_wave`` (mono, any rate) -> ``(waveform, sample_rate)``."""
        self.check_tokens(tokens)
        prompt = self.prompt_from_wave(prompt_wave, sample_rate)
        return self.vocode(self.generate_mels([tokens], [prompt], seed)[0]), self.sample_rate


def choose_prompts(utt_ids: list[str], utt2spk: dict[str, str]) -> dict[str, str | None]:
    """For each utterance, another utterance of its speaker (the next one of the speaker's sorted list, cyclically:
    never itself); None when the speaker has no other utterance."""
    by_speaker: dict[str, list[str]] = {}
    for utt in sorted(utt_ids):
        by_speaker.setdefault(utt2spk.get(utt, utt), []).append(utt)
    out: dict[str, str | None] = {}
    for utts in by_speaker.values():
        for i, utt in enumerate(utts):
            out[utt] = utts[(i + 1) % len(utts)] if len(utts) > 1 else None
    return out


def prompts_from_other_dir(
    utt_ids: list[str], utt2spk: dict[str, str], prompt_utts: list[str], prompt_utt2spk: dict[str, str]
) -> dict[str, str | None]:
    """For each utterance, one of its speaker's utterances in another data directory (the k-th of the speaker's
    sorted utterances there for its k-th here, cyclically); None when that directory has none of the speaker."""
    pool: dict[str, list[str]] = {}
    for utt in sorted(prompt_utts):
        pool.setdefault(prompt_utt2spk.get(utt, utt), []).append(utt)
    count: dict[str, int] = {}
    out: dict[str, str | None] = {}
    for utt in sorted(utt_ids):
        spk = utt2spk.get(utt, utt)
        k = count[spk] = count.get(spk, -1) + 1
        out[utt] = pool[spk][k % len(pool[spk])] if spk in pool else None
    return out


def write_synthesis_dir(
    data_dir: Path,
    out_dir: Path,
    waves: Iterator[tuple[str, np.ndarray]],
    sample_rate: int,
    info: dict,
    extra: dict[str, list[str]] | None = None,
) -> dict:
    """Write the ``(utt, waveform)`` pairs of ``waves`` as a data directory ``out_dir`` (atomically: a killed run
    leaves no folder that looks finished), with the source's per-utterance files, ``synthesis.json`` and the
    ``extra`` files (name -> lines)."""
    from cstoolkit.data.corrupt import copy_tables

    final = out_dir.resolve()
    durations: dict[str, float] = {}
    start = time.perf_counter()
    with atomic_dir(out_dir) as tmp:
        (tmp / "wav").mkdir()
        for utt, wave in waves:
            write_audio(tmp / "wav" / f"{utt}.wav", np.clip(wave, -1.0, 1.0), sample_rate, "wav")
            durations[utt] = wave.size / sample_rate
        wall = time.perf_counter() - start
        keep = set(durations)
        atomic_write_lines(tmp / "wav.scp", [f"{u} {final / 'wav' / f'{u}.wav'}" for u in sorted(keep)])
        atomic_write_lines(tmp / "utt2dur", [f"{u} {durations[u]:.3f}" for u in sorted(keep)])
        copy_tables(data_dir, tmp, keep, read_utt2spk(data_dir), final, durations)
        audio = sum(durations.values())
        info = {
            **info,
            "utterances": len(keep),
            "audio_seconds": round(audio, 3),
            "wall_seconds": round(wall, 3),
            "rtf": round(wall / audio, 4) if audio else None,
            "threads": torch.get_num_threads(),
        }
        for name, lines in (extra or {}).items():
            atomic_write_lines(tmp / name, lines)
        atomic_write_text(tmp / SYNTH_INFO, json.dumps(info, indent=1, ensure_ascii=False) + "\n")
    return info


def _in_batches(items: list, size: int, bar) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
        bar.update(len(items[start : start + size]))


def resynthesize_dir(synth: FlowSynthesizer, data_dir: str | Path, out_dir: str | Path, seed: int = 0) -> dict:
    """Every utterance of ``data_dir`` spoken again from its own speech tokens, with another utterance of the same
    speaker as voice prompt (its tokens, mel and speaker embedding from the data directory), into ``out_dir``.

    Utterances without a usable prompt (a speaker with one utterance) are left out and reported in
    ``synthesis.json``.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    table = flow_table(data_dir)
    rows = {utt: i for i, utt in enumerate(table.utt_ids)}
    for utt, ids in zip(table.utt_ids, table.columns["speech_tokens"]):
        synth.check_tokens(ids, f"{data_dir / 'speech_tokens'}: {utt}")
    prompts = choose_prompts(table.utt_ids, read_utt2spk(data_dir))
    skipped = {
        u: "no other utterance of its speaker to take the voice prompt from" for u, p in prompts.items() if p is None
    }
    todo = sorted((u for u in table.utt_ids if prompts[u]), key=lambda u: table.lengths[rows[u]])
    n_mels, dim = int(synth.cfg.flow.model.n_mels), int(synth.cfg.flow.model.speaker_dim)

    def prompt_of(utt: str) -> Prompt:
        i = rows[utt]
        mel = load_features(table.columns["mel"][i], n_mels)
        return Prompt(table.columns["speech_tokens"][i], mel, load_features(table.columns["utt_embed"][i], dim)[0])

    def waves() -> Iterator[tuple[str, np.ndarray]]:
        with progress_bar(total=len(todo), desc="resynthesize", unit="utt") as bar:
            for k, batch in enumerate(_in_batches(todo, int(synth.inference.batch_size), bar)):
                tokens = [table.columns["speech_tokens"][rows[u]] for u in batch]
                mels = synth.generate_mels(tokens, [prompt_of(prompts[u]) for u in batch], seed + k)
                for utt, mel in zip(batch, mels, strict=True):
                    yield utt, synth.vocode(mel)

    inf = synth.inference_record()
    info = {
        "kind": "resynthesis",
        "source": str(data_dir.resolve()),
        "seed": seed,
        "inference": inf,
        "skipped": {**table.skipped, **skipped},
    }
    chosen = {PROMPTS_FILE: [f"{u} {prompts[u]}" for u in sorted(todo)]}
    return write_synthesis_dir(data_dir, out_dir, waves(), synth.sample_rate, info, chosen)


def vocode_dir(data_dir: str | Path, out_dir: str | Path, vocoder: Callable, sample_rate: int, n_mels: int) -> dict:
    """Copy synthesis: every utterance's real log-mel (``mel.scp``) through ``vocoder`` into ``out_dir``: the upper
    bound of any acoustic model that feeds this vocoder. An unreadable mel is left out and reported."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    scp = data_dir / "mel.scp"
    if not scp.is_file():
        raise InputFileError(scp, "missing: run cstk features first")
    from cstoolkit.data.kaldi_dir import read_kaldi_file

    mels = read_kaldi_file(scp)
    failed: dict[str, str] = {}

    def waves() -> Iterator[tuple[str, np.ndarray]]:
        with progress_bar(total=len(mels), desc="copy synthesis", unit="utt") as bar:
            for utt, spec in sorted(mels.items()):
                try:
                    mel = load_features(spec, n_mels)
                except ValueError as err:
                    failed[utt] = str(err)
                    log.warning("%s: %s left out: %s", scp, utt, err)
                else:
                    yield utt, vocoder(np.ascontiguousarray(mel.T))
                bar.update(1)

    info = {"kind": "copy synthesis", "source": str(data_dir.resolve()), "skipped": failed}
    return write_synthesis_dir(data_dir, out_dir, waves(), sample_rate, info)
