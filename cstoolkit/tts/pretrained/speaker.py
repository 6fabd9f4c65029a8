"""Speaker embeddings: resemblyzer's d-vector (GE2E LSTM, 256-d, weights shipped in the pip package).

Each waveform is resampled to 16 kHz, volume-normalised and stripped of long silences (resemblyzer's
``preprocess_wav``), cut into 1.6 s partials, and the L2-normalised mean of the partials' embeddings is returned,
as ``VoiceEncoder.embed_utterance`` does. Partials all have the same length, so the partials of a whole batch of
utterances go through the LSTM in one call. Embeddings are non-negative (ReLU) and unit-norm: cosines lie in
[0, 1] and different speakers also score high, so thresholds must be calibrated on one's own speakers.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cstoolkit.data.audio import resample
from cstoolkit.errors import CstkError, ModelNotAvailableError

log = logging.getLogger(__name__)
INSTALL_HINT = "run scripts/setup_env.sh (pip install resemblyzer==0.1.4 webrtcvad-wheels)"


def _import_resemblyzer():
    """The resemblyzer package, or one clear error naming what to install."""
    try:
        with warnings.catch_warnings():  # it imports scipy.ndimage.morphology (deprecated namespace)
            warnings.simplefilter("ignore", DeprecationWarning)
            import resemblyzer  # imports webrtcvad too
    except ImportError as err:
        raise ModelNotAvailableError(f"speaker embeddings need resemblyzer ({err}): {INSTALL_HINT}") from None
    return resemblyzer


class SpeakerEncoder:
    """Batched resemblyzer d-vectors from waveforms of any sample rate.

    Args:
        device: torch device of the LSTM.
        rate: partial utterances per second (resemblyzer's default 1.3).
        min_coverage: a last partial shorter than this share of 1.6 s is dropped (default 0.75).
    """

    def __init__(self, device: str = "cpu", rate: float = 1.3, min_coverage: float = 0.75) -> None:
        resemblyzer = _import_resemblyzer()
        with contextlib.redirect_stdout(io.StringIO()):
            self.model = resemblyzer.VoiceEncoder(device, verbose=False)
        self.model.eval()
        self.sample_rate = int(resemblyzer.sampling_rate)
        self.dim = int(self.model.linear.out_features)
        self.rate, self.min_coverage = rate, min_coverage

    def partials(self, wave: np.ndarray, sample_rate: int) -> np.ndarray:
        """The 40-bin mel partials ``(P, 160, 40)`` of one mono waveform."""
        from resemblyzer.audio import normalize_volume, preprocess_wav, wav_to_mel_spectrogram
        from resemblyzer.hparams import audio_norm_target_dBFS

        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim != 1 or wave.size == 0 or not np.any(wave) or not np.all(np.isfinite(wave)):
            raise CstkError("speaker embedding: expected a non-silent, finite mono waveform")
        wave = resample(wave, sample_rate, self.sample_rate)
        trimmed = preprocess_wav(wave)
        if trimmed.size == 0:  # the VAD found no speech: keep the whole (volume-normalised) signal
            trimmed = normalize_volume(wave, audio_norm_target_dBFS, increase_only=True)
        wave_slices, mel_slices = self.model.compute_partial_slices(trimmed.size, self.rate, self.min_coverage)
        trimmed = np.pad(trimmed, (0, max(0, wave_slices[-1].stop - trimmed.size)))
        mel = wav_to_mel_spectrogram(trimmed)
        return np.stack([mel[s] for s in mel_slices])

    def __call__(self, waves: Sequence[np.ndarray], sample_rates: int | Sequence[int]) -> np.ndarray:
        """Embeddings ``(B, dim)`` float32, L2-normalised, of ``B`` mono waveforms at their sample rates."""
        rates = [sample_rates] * len(waves) if isinstance(sample_rates, int) else list(sample_rates)
        return self.embed_partials([self.partials(w, sr) for w, sr in zip(waves, rates, strict=True)])

    def embed_partials(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings ``(B, dim)`` float32, L2-normalised, of the :meth:`partials` ``(P_i, 160, 40)`` of ``B``
        waveforms (all partials in one LSTM call)."""
        import torch

        counts = [len(p) for p in parts]
        with torch.no_grad():
            mels = torch.from_numpy(np.concatenate(parts)).to(self.model.device)
            partial = self.model(mels).cpu()  # (sum P, dim), each row unit-norm
        means = torch.stack([chunk.mean(0) for chunk in partial.split(counts)])
        return torch.nn.functional.normalize(means, dim=-1).numpy().astype(np.float32)

    def embed(self, wave: np.ndarray, sample_rate: int) -> np.ndarray:
        """The embedding ``(dim,)`` of one waveform."""
        return self([wave], sample_rate)[0]


#: in a data directory: ``uttid ark:offset`` of each utterance's ``(1, dim)`` d-vector (:func:`embed_data_dir`)
EMBED_FILE = "utt_embed.scp"
_EMBED_STAMP = "utt_embed.json"


def embed_data_dir(data_dir: str | Path, encoder: SpeakerEncoder, batch_size: int = 16) -> dict[str, str]:
    """Write the d-vector of every utterance of ``data_dir/wav.scp`` into ``utt_embed.scp`` (+ ``feats/utt_embed.ark``).

    Skipped when ``utt_embed.json`` says the same wav.scp was embedded already. An utterance whose audio cannot be
    read or is silent is left out (reported; returned as ``{utt: reason}``); InputFileError when none is left.
    """
    from cstoolkit.core.atomic import atomic_write_lines
    from cstoolkit.core.stamps import Stamp, fingerprint
    from cstoolkit.data.audio import load_audio
    from cstoolkit.data.features import ArkWriter
    from cstoolkit.data.kaldi_dir import read_kaldi_entries
    from cstoolkit.errors import InputFileError
    from cstoolkit.progress import progress_bar

    data_dir = Path(data_dir)
    wav_scp = data_dir / "wav.scp"
    if not wav_scp.is_file():
        raise InputFileError(wav_scp, "missing: run the prepare stage first")
    key = fingerprint(wav_scp.read_bytes(), f"{encoder.rate},{encoder.min_coverage}")
    stamp = Stamp(data_dir / _EMBED_STAMP)
    if stamp.matches(key, [data_dir / EMBED_FILE]) is not None:
        log.info("%s: speaker embeddings up to date, skipped", data_dir)
        return {}
    stamp.clear()
    entries = sorted(read_kaldi_entries(wav_scp).items())
    failed: dict[str, str] = {}
    (data_dir / "feats").mkdir(exist_ok=True)
    with (
        ArkWriter(data_dir / "feats", "utt_embed") as ark,
        progress_bar(total=len(entries), desc=f"speaker embeddings {data_dir.name}", unit="utt") as bar,
    ):
        for start in range(0, len(entries), batch_size):
            parts, utts = [], []
            for utt, (line, path) in entries[start : start + batch_size]:
                try:
                    wave, _ = load_audio(path, target_sr=encoder.sample_rate)
                    parts.append(encoder.partials(wave, encoder.sample_rate))  # refuses silent / non-finite audio
                except Exception as err:  # one bad file must not stop a whole split
                    failed[utt] = str(InputFileError(wav_scp, f"{utt}: {err}", line))
                    log.warning("%s (left out)", failed[utt])
                    continue
                utts.append(utt)
            if parts:  # each utterance's partials are made once (made twice, VAD + mel were 58% of the time)
                for utt, vector in zip(utts, encoder.embed_partials(parts), strict=True):
                    ark(utt, vector[None, :])
            bar.update(len(entries[start : start + batch_size]))
    if not ark.lines:
        raise InputFileError(wav_scp, f"no utterance could be embedded ({len(failed)} failed)")
    atomic_write_lines(data_dir / EMBED_FILE, sorted(ark.lines))
    stamp.write(key, utterances=len(ark.lines), failed=failed)
    return failed
