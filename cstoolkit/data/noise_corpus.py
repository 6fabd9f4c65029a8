"""Noise recordings for augmentation: the audio files of a MUSAN-style corpus folder, cut at random."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cstoolkit.data.audio import resample
from cstoolkit.data.effects import fit_length
from cstoolkit.errors import ConfigError, InputFileError

#: the sub-folders of a MUSAN corpus (https://www.openslr.org/17/)
MUSAN_CATEGORIES = ("noise", "music", "speech")
#: audio files a noise folder may hold
NOISE_EXTENSIONS = (".wav", ".flac")


@dataclass
class NoiseSource:
    """Audio files of a noise corpus (MUSAN layout), per category; :meth:`sample` cuts a random segment."""

    folder: Path
    files: dict[str, list[Path]]
    _frames: dict[Path, tuple[int, int]] = field(default_factory=dict, repr=False)

    def sample(self, n: int, sr: int, rng: np.random.Generator, category: str | None = None) -> np.ndarray:
        """``n`` samples at ``sr`` Hz from a random file (of ``category``, or of any category), at a random offset,
        looped when the file is shorter. Only the needed segment is read from disk."""
        import soundfile as sf

        categories = [category] if category else sorted(c for c, f in self.files.items() if f)
        if not categories or not self.files.get(categories[0]):
            raise InputFileError(self.folder, f"no audio files in category {category!r}")
        chosen = categories[int(rng.integers(len(categories)))]
        path = self.files[chosen][int(rng.integers(len(self.files[chosen])))]
        try:
            if path not in self._frames:
                info = sf.info(str(path))
                self._frames[path] = (info.frames, info.samplerate)
            frames, rate = self._frames[path]
            need = int(np.ceil(n * rate / sr)) + 1
            start = int(rng.integers(max(1, frames - need + 1))) if frames > need else 0
            data, rate = sf.read(str(path), start=start, frames=min(need, frames), dtype="float32", always_2d=True)
        except (RuntimeError, sf.LibsndfileError) as err:
            raise InputFileError(path, f"unreadable noise file: {err}") from None
        mono = data.mean(axis=1)
        if mono.size == 0:
            raise InputFileError(path, "noise file holds zero samples")
        return fit_length(resample(mono, rate, sr), n)


def musan_noise_source(folder: str | Path, categories: Sequence[str] = MUSAN_CATEGORIES) -> NoiseSource:
    """The audio files under ``folder/noise``, ``folder/music`` and ``folder/speech`` (any depth), as in MUSAN.

    InputFileError naming the folder when it does not exist or holds no .wav/.flac file in those sub-folders.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputFileError(root, "noise corpus folder not found")
    unknown = [c for c in categories if c not in MUSAN_CATEGORIES]
    if unknown:
        raise ConfigError(f"unknown MUSAN categories {unknown}; choose from {', '.join(MUSAN_CATEGORIES)}")
    files = {
        c: sorted(p for p in (root / c).rglob("*") if p.suffix.lower() in NOISE_EXTENSIONS and p.is_file())
        for c in categories
        if (root / c).is_dir()
    }
    if not any(files.values()):
        where = ", ".join(f"{c}/" for c in categories)
        raise InputFileError(root, f"no audio files ({', '.join(NOISE_EXTENSIONS)}) under {where} (MUSAN layout)")
    return NoiseSource(root, files)
