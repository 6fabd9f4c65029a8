"""Text -> speech tokens with a trained NAR T2S model directory (``cstk train-t2s``).

The front end is the alignment stage's (:class:`cstoolkit.tts.frontend.TextFrontEnd`): the text goes through
cstoolkit.text normalisation and the model's text units, and each unit gets a language (from given segments, else
by script with the matrix language). What the model cannot speak is returned with the result, never dropped
silently: units outside its vocabulary (spoken as ``<unk>``) and language codes it was not trained on (id 0).

>>> t2s = TextToSpeechTokens.load("exp/t2s")                       # doctest: +SKIP
>>> out = t2s.synthesize(["我今天去 shopping mall"], langs=["zh-en"])  # doctest: +SKIP
>>> out[0].tokens, out[0].unknown_units                              # doctest: +SKIP
([212, 92, ...], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from cstoolkit.core.modeldir import UNITS_SUBDIR, load_model
from cstoolkit.core.runtime import pick_device
from cstoolkit.errors import ConfigError
from cstoolkit.text.tokens import TextTokenizer
from cstoolkit.tts.frontend import FrontEnd, TextFrontEnd
from cstoolkit.tts.t2s.base import T2SModel, build_t2s_model
from cstoolkit.tts.t2s.checks import read_t2s_dir


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
        self.text_frontend = TextFrontEnd(units, self.languages)

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "cpu") -> TextToSpeechTokens:
        """Load ``<model_dir>/{config.yaml, units/, t2s.json, model.pth}`` written by ``train-t2s``."""
        t2s = read_t2s_dir(model_dir)
        dev = pick_device(device)
        model = load_model(t2s, lambda cfg: build_t2s_model(cfg.t2s), dev)
        return cls(model, TextTokenizer(t2s.path / UNITS_SUBDIR), t2s.cfg, t2s.info, dev)

    def frontend(self, text: str, lang: str | None = None, segments: list[dict[str, str]] | None = None) -> FrontEnd:
        """Units and languages of ``text`` as this model reads them (:class:`~cstoolkit.tts.frontend.TextFrontEnd`)."""
        return self.text_frontend(text, lang, segments)

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
