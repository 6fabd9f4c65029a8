"""Text -> speech tokens with a trained NAR T2S model directory (``cstk train-t2s``).

The front end is the alignment stage's (:func:`cstoolkit.tts.t2s.align.units_and_langs`): the text goes through
cstoolkit.text normalisation and the model's text units, and each unit gets a language (from given segments, else
by script with the matrix language). What the model cannot speak is returned with the result, never dropped
silently: units outside its vocabulary (spoken as ``<unk>``) and language codes it was not trained on (id 0).

>>> t2s = TextToSpeechTokens.load("exp/t2s")                       # doctest: +SKIP
>>> out = t2s.synthesize(["我今天去 shopping mall"], langs=["zh-en"])  # doctest: +SKIP
>>> out[0].tokens, out[0].unknown_units                              # doctest: +SKIP
([212, 92, ...], [])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.modeldir import CONFIG_FILE, UNITS_SUBDIR, WEIGHTS_FILE, load_weights
from cstoolkit.errors import ConfigError, InputFileError
from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tts.t2s.align import matrix_language, units_and_langs
from cstoolkit.tts.t2s.nar import T2SModel, build_t2s_model
from cstoolkit.tts.t2s.train import T2S_INFO


@dataclass
class FrontEnd:
    """One text as the model reads it: ``units`` (strings) and ``unit_ids``, ``langs`` (codes) and ``lang_ids``,
    where the codes came from (``segments`` or ``script``), and what it cannot speak: ``unknown_units`` (spoken as
    ``<unk>``) and ``unknown_langs`` (codes it was not trained on, read as id 0)."""

    text: str
    units: list[str]
    unit_ids: list[int]
    langs: list[str]
    lang_ids: list[int]
    lang_source: str
    unknown_units: list[str] = field(default_factory=list)
    unknown_langs: list[str] = field(default_factory=list)


@dataclass
class T2SResult:
    """Speech tokens of one text, the frames each unit got, and its front end (with what could not be spoken)."""

    tokens: list[int]
    durations: list[int]
    frontend: FrontEnd

    @property
    def unknown_units(self) -> list[str]:
        return self.frontend.unknown_units

    @property
    def unknown_langs(self) -> list[str]:
        return self.frontend.unknown_langs


class TextToSpeechTokens:
    """A loaded model directory: its :class:`T2SModel` (NAR or AR, eval mode), text units, languages and composed
    config."""

    def __init__(
        self, model: T2SModel, units: TextTokenizer, cfg: DictConfig, info: dict, device: torch.device
    ) -> None:
        self.model, self.units, self.cfg, self.info, self.device = model, units, cfg, info, device
        self.languages: list[str] = list(info["languages"])
        self.lang_index = {code: i for i, code in enumerate(self.languages)}

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "cpu") -> TextToSpeechTokens:
        """Load ``<model_dir>/{config.yaml, units/, t2s.json, model.pth}`` written by ``train-t2s``."""
        from cstoolkit.core.runtime import pick_device

        model_dir = Path(model_dir)
        for name in (CONFIG_FILE, T2S_INFO, WEIGHTS_FILE, f"{UNITS_SUBDIR}/tokens.txt"):
            if not (model_dir / name).is_file():
                raise InputFileError(model_dir / name, "missing: not a trained T2S model directory (cstk train-t2s)")
        cfg = OmegaConf.load(model_dir / CONFIG_FILE)
        info = json.loads((model_dir / T2S_INFO).read_text(encoding="utf-8"))
        model = build_t2s_model(cfg.t2s)
        load_weights(model, model_dir / WEIGHTS_FILE)
        dev = pick_device(device)
        model.to(dev).eval()
        return cls(model, TextTokenizer(model_dir / UNITS_SUBDIR), cfg, info, dev)

    def frontend(self, text: str, lang: str | None = None, segments: list[dict[str, str]] | None = None) -> FrontEnd:
        """Units and languages of ``text``. ``lang``: the utterance language (``utt2lang``, e.g. ``zh-en``; None:
        guessed from the scripts); ``segments``: language-tagged segments (``utt2seg.jsonl``), used when they give
        the same units as the text."""
        tokens, codes, source = units_and_langs(self.units, text, matrix_language(lang, text), segments)
        unit_ids = [self.units.index.get(t, self.units.unk_id) for t in tokens]
        lang_ids = [self.lang_index.get(c, 0) for c in codes]
        unknown_units = [t for t, i in zip(tokens, unit_ids) if i == self.units.unk_id]
        unknown_langs = sorted({c for c in codes if c not in self.lang_index})
        return FrontEnd(text, tokens, unit_ids, codes, lang_ids, source, unknown_units, unknown_langs)

    def synthesize(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        speakers: np.ndarray | torch.Tensor | None = None,
        segments: Sequence[list[dict[str, str]] | None] | None = None,
        duration_scale: float | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        seed: int = 0,
    ) -> list[T2SResult]:
        """Speech tokens of each text, ``t2s.inference.batch_size`` texts a batch.

        ``langs``/``segments``: per text, see :meth:`frontend`; ``speakers``: ``(len(texts), speaker_dim)``
        embeddings or None; ``duration_scale``, ``temperature``, ``top_k``: default ``t2s.inference``.
        ConfigError when a text has no unit to speak.
        """
        inf = self.cfg.t2s.inference
        scale = float(inf.duration_scale if duration_scale is None else duration_scale)
        temp = float(inf.temperature if temperature is None else temperature)
        k = int(inf.top_k if top_k is None else top_k)
        fronts = [
            self.frontend(t, langs[i] if langs else None, segments[i] if segments else None)
            for i, t in enumerate(texts)
        ]
        for i, f in enumerate(fronts):
            if not f.unit_ids:
                raise ConfigError(f"text {i + 1} ({f.text!r}) has no unit to speak after normalisation")
        spk = None if speakers is None else torch.as_tensor(np.asarray(speakers), dtype=torch.float32)
        if spk is not None and spk.shape[0] != len(texts):
            raise ConfigError(f"{spk.shape[0]} speaker embeddings for {len(texts)} texts")
        generator = torch.Generator(device=self.device).manual_seed(seed)
        size = int(inf.batch_size)
        results: list[T2SResult] = []
        for start in range(0, len(fronts), size):
            part = fronts[start : start + size]
            units, lens = _pad([f.unit_ids for f in part], self.device)
            lang_ids, _ = _pad([f.lang_ids for f in part], self.device)
            speaker = None
            if spk is not None and self.model.speaker_dim:
                speaker = spk[start : start + size].to(self.device)
            out = self.model.generate(units, lens, lang_ids, speaker, scale, temp, k or None, generator=generator)
            for b, f in enumerate(part):
                n, m = int(out.token_lens[b]), len(f.unit_ids)
                results.append(T2SResult(out.tokens[b, :n].tolist(), out.durations[b, :m].tolist(), f))
        return results


def _pad(seqs: list[list[int]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, N)`` zero-padded ids and ``(B,)`` lengths."""
    lens = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.zeros(len(seqs), int(lens.max()), dtype=torch.long)
    for b, s in enumerate(seqs):
        out[b, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out.to(device), lens.to(device)


__all__ = ["FrontEnd", "T2SResult", "TextToSpeechTokens"]
