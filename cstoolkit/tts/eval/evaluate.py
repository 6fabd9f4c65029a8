"""How a synthesis folder is judged: can the CS-ASR read every word back, and does it sound like its speaker.

:func:`evaluate_synthesis` takes a folder written by :mod:`cstoolkit.tts.flow.synthesis` (``wav.scp`` + the source's
text, utt2lang, utt2seg, utt2spk), computes its fbank, decodes it with the recipe's CS-ASR and scores it with SAER
against the source text (``hyp.txt``, ``saer.json``, ``report.html``, ``breakdown.png``: overall, per language pair,
per word language), and writes ``similarity.json``: the resemblyzer cosine of each output to the real audio of its
own speaker (the mean embedding of that speaker's real utterances, the utterance itself left out) and to each other
speaker of the reference data directory, as a user reads it: whether its own speaker ranks first among the N
speakers of the reference directory (top-1 of N), and the margin to the best other speaker (own minus best other
cosine). :func:`summary_row` puts a folder's numbers in a row of the comparison table; :func:`comparison_row` adds
its numbers per language pair (``utt2lang``) and the bootstrap intervals of every figure;
:mod:`cstoolkit.tts.eval.stats` compares the rows (paired p-values) and :mod:`cstoolkit.tts.eval.table` writes the
table.

:func:`evaluate_ground_truth` judges the real audio of a data directory the same way, into a folder that reads like
a judged synthesis folder (``kind`` "ground truth", no RTF): the CS-ASR's transcripts of the real test set (decoded,
or an earlier decode of it reused) and the similarity of each real utterance to the other real utterances of its
speaker: the top row of the comparison table.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from cstoolkit.core.atomic import atomic_write_text
from cstoolkit.data.kaldi_dir import read_kaldi_entries, read_utt2spk
from cstoolkit.data.matrices import load_features
from cstoolkit.errors import InputFileError
from cstoolkit.tts.eval.stats import (
    DEFAULT_RESAMPLING,
    GROUND_TRUTH_KIND,
    SIMILARITY_FILE,
    Resampling,
    resampling_of,
    saer_intervals,
    similarity_intervals,
    similarity_values,
)
from cstoolkit.tts.eval.table import write_summary as write_summary  # its old home: imported from here too
from cstoolkit.tts.flow.synthesis import SYNTH_INFO
from cstoolkit.tts.pretrained.speaker import EMBED_FILE, SpeakerEncoder

log = logging.getLogger(__name__)

#: what a ground-truth folder carries over from its data directory (for the listening page and the scores)
GROUND_TRUTH_TABLES = ("wav.scp", "text", "utt2lang", "utt2spk", "spk2utt", "utt2seg.jsonl", "utt2dur")


def speaker_centroids(embeddings: dict[str, np.ndarray], utt2spk: dict[str, str]) -> dict[str, np.ndarray]:
    """Sum of the unit-norm embeddings of each speaker (normalise after leaving an utterance out)."""
    out: dict[str, np.ndarray] = {}
    for utt, vector in embeddings.items():
        spk = utt2spk.get(utt)
        if spk is not None:
            out[spk] = out.get(spk, 0.0) + vector
    return out


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 5) if values else None


def similarity(outputs: dict[str, np.ndarray], real: dict[str, np.ndarray], utt2spk: dict[str, str]) -> dict[str, Any]:
    """Speaker similarity as a listener reads it: does each output sound like its own speaker rather than like any
    other speaker of the reference data directory (top-1 of N, N its speakers).

    Per output utterance (``per_utterance``): ``speaker``; ``own``, the cosine to its own speaker's real audio
    (without the same utterance); ``others``, the cosine to every other speaker; ``rank`` (1 + the number of other
    speakers at least as close as the own one: a tie is not first); ``own_first`` (rank 1: the own speaker ranks
    first among the N speakers); ``margin``, own minus the best other speaker's cosine (None without another
    speaker). Ranks and margins are of the rounded cosines written (5 digits), so the file checks out as it reads.
    Overall and per speaker (``per_speaker``): ``utterances``, ``speakers`` (N, the candidate speakers),
    ``own_mean``, ``best_other_mean`` (mean best other cosine), ``margin_mean`` (these two None without another
    speaker) and ``own_first`` (the share of outputs whose own speaker ranks first). Outputs whose speaker has no
    other real utterance are left out."""
    sums = speaker_centroids(real, utt2spk)
    counts = Counter(utt2spk.get(u) for u in real)  # real utterances per speaker, in one pass
    per_utt: dict[str, dict[str, Any]] = {}
    for utt, vector in sorted(outputs.items()):
        own = utt2spk.get(utt)
        if own not in sums:
            continue
        if utt in real and counts[own] == 1:
            continue  # the speaker's only real audio is this utterance: nothing else to compare with
        own_sum = sums[own] - real[utt] if utt in real else sums[own]
        own_cos = round(_cos(vector, own_sum), 5)
        others = {s: round(_cos(vector, c), 5) for s, c in sums.items() if s != own}
        rank = 1 + sum(1 for v in others.values() if v >= own_cos)
        margin = round(own_cos - max(others.values()), 5) if others else None
        per_utt[utt] = {
            "speaker": own,
            "own": own_cos,
            "others": others,
            "rank": rank,
            "own_first": rank == 1,
            "margin": margin,
        }
    if not per_utt:
        return {"utterances": 0, "per_utterance": {}}
    rows = list(per_utt.values())
    by_speaker: dict[str, list[dict]] = {}
    for row in rows:
        by_speaker.setdefault(row["speaker"], []).append(row)

    def stats(group: list[dict]) -> dict[str, Any]:
        return {
            "utterances": len(group),
            "speakers": 1 + max(len(r["others"]) for r in group),
            "own_mean": _mean([r["own"] for r in group]),
            "best_other_mean": _mean([max(r["others"].values()) for r in group if r["others"]]),
            "margin_mean": _mean([r["margin"] for r in group if r["margin"] is not None]),
            "own_first": _mean([float(r["own_first"]) for r in group]),
        }

    return {
        **stats(rows),
        "per_speaker": {s: stats(g) for s, g in sorted(by_speaker.items())},
        "per_utterance": per_utt,
    }


def similarity_summary(sim: dict[str, Any]) -> str:
    """The log line of a ``similarity.json``: own cosine, how often the own speaker ranks first among the N
    speakers and the mean margin to the best other speaker."""
    if not sim.get("utterances"):
        return "no speaker similarity (no output of a reference speaker)"
    margin = sim.get("margin_mean")
    return (
        f"speaker similarity to own {sim.get('own_mean', float('nan')):.3f}; own speaker first among "
        f"{sim.get('speakers')} for {100 * (sim.get('own_first') or 0.0):.1f}%"
        + (f" (margin {margin:+.3f})" if margin is not None else " (no other speaker)")
    )


def embed_folder(synth_dir: Path, encoder: SpeakerEncoder) -> dict[str, np.ndarray]:
    """Speaker embeddings of every audio file of ``synth_dir/wav.scp`` (unreadable ones are logged and left out)."""
    from cstoolkit.data.audio import load_audio
    from cstoolkit.progress import progress_bar

    entries = sorted(read_kaldi_entries(synth_dir / "wav.scp").items())
    out: dict[str, np.ndarray] = {}
    with progress_bar(total=len(entries), desc="speaker similarity", unit="utt") as bar:
        for start in range(0, len(entries), 16):
            parts, utts = [], []
            for utt, (_, path) in entries[start : start + 16]:
                try:
                    wave, _ = load_audio(path, target_sr=encoder.sample_rate)
                    parts.append(encoder.partials(wave, encoder.sample_rate))  # made once per file
                except Exception as err:
                    log.warning("%s: %s left out of the speaker similarity: %s", synth_dir, utt, err)
                    continue
                utts.append(utt)
            if parts:
                out.update(zip(utts, encoder.embed_partials(parts), strict=True))
            bar.update(len(entries[start : start + 16]))
    return out


def real_embeddings(ref_dir: Path) -> dict[str, np.ndarray]:
    """The ``utt_embed.scp`` d-vectors of the reference data directory (``cstk embed-speakers``)."""
    scp = ref_dir / EMBED_FILE
    if not scp.is_file():
        raise InputFileError(scp, "missing: run cstk embed-speakers on the reference data directory first")
    return {utt: load_features(spec)[0] for utt, (_, spec) in read_kaldi_entries(scp).items()}


def evaluate_synthesis(
    synth_dir: str | Path, ref_dir: str | Path, asr_bundle, decode_cfg: DictConfig, cfg: DictConfig, nj: int = 1
) -> dict[str, Any]:
    """Features, CS-ASR decoding, SAER scores and speaker similarity of one synthesis folder (files in it)."""
    from cstoolkit.asr.inference import decode_dir
    from cstoolkit.asr.score import score_decoding
    from cstoolkit.data.features import compute_split

    synth_dir, ref_dir = Path(synth_dir), Path(ref_dir)
    if not (synth_dir / SYNTH_INFO).is_file():
        raise InputFileError(
            synth_dir / SYNTH_INFO,
            "missing: not a finished synthesis folder (cstk resynthesize, cstk vocode, cstk synthesize)",
        )
    compute_split(synth_dir, OmegaConf.to_container(cfg.features, resolve=True), nj, with_stats=False)
    decode_dir(asr_bundle, synth_dir, synth_dir, str(decode_cfg.method), decode_cfg)
    result = score_decoding(synth_dir, synth_dir, cfg.metric, f"CS-ASR on {synth_dir.name}")
    spk = cfg.flow.speaker
    encoder = SpeakerEncoder(str(spk.device), float(spk.rate), float(spk.min_coverage))
    # the folder names the speaker of each output (new sentences have no real utterance in ref_dir)
    speakers = {**read_utt2spk(ref_dir), **read_utt2spk(synth_dir)}
    sim = similarity(embed_folder(synth_dir, encoder), real_embeddings(ref_dir), speakers)
    sim["reference"] = str(ref_dir.resolve())
    atomic_write_text(synth_dir / SIMILARITY_FILE, json.dumps(sim, indent=1, ensure_ascii=False) + "\n")
    log.info("%s: MER %.4f, SAER %.4f; %s", synth_dir.name, result.form_error, result.saer, similarity_summary(sim))
    return summary_row(synth_dir)


def evaluate_ground_truth(
    data_dir: str | Path,
    out_dir: str | Path,
    asr_bundle,
    decode_cfg: DictConfig,
    cfg: DictConfig,
    decoded_dir: str | Path | None = None,
) -> dict[str, Any]:
    """The real audio of ``data_dir`` judged like a synthesis folder, into ``out_dir``: ``hyp.txt`` (the CS-ASR's
    decode of its ``feats.scp``, or ``decoded_dir``'s ``hyp.txt`` reused: a finished decode of the same data by
    the same model, e.g. ``exp/asr/decode_test``), ``saer.json`` and reports, ``similarity.json`` (each real
    utterance against the other real utterances of its speaker, itself left out; speakers with one utterance are
    left out), the data directory's tables (``wav.scp``, ``text``, ``utt2lang`` ...) and ``synthesis.json``
    (``kind`` "ground truth", written last). Returns its :func:`comparison_row`."""
    import shutil

    from cstoolkit.asr.score import score_decoding

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    for name in ("text", "wav.scp"):
        if not (data_dir / name).is_file():
            raise InputFileError(data_dir / name, "missing: not a prepared data directory")
    real = real_embeddings(data_dir)
    texts = read_kaldi_entries(data_dir / "text", allow_empty_value=True)
    hyp_src = None
    if decoded_dir is not None:
        hyp_src = Path(decoded_dir) / "hyp.txt"
        if not hyp_src.is_file():
            raise InputFileError(hyp_src, "missing: not a finished decode (cstk decode-asr --out-dir)")
        missing = sorted(set(texts) - set(read_kaldi_entries(hyp_src, allow_empty_value=True)))
        if missing:
            raise InputFileError(
                hyp_src,
                f"has no hypothesis for {len(missing)} utterance(s) of {data_dir / 'text'}"
                f" (e.g. {missing[0]}): a decode of other data",
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SYNTH_INFO).unlink(missing_ok=True)  # the folder stops looking finished until it is
    if hyp_src is not None:
        for name in ("hyp.txt", "decode.json"):
            if (hyp_src.parent / name).is_file():
                shutil.copyfile(hyp_src.parent / name, out_dir / name)
        log.info("%s: the CS-ASR's decode of %s reused from %s", out_dir, data_dir, hyp_src.parent)
    else:
        from cstoolkit.asr.inference import decode_dir

        decode_dir(asr_bundle, data_dir, out_dir, str(decode_cfg.method), decode_cfg)
    result = score_decoding(data_dir, out_dir, cfg.metric, f"CS-ASR on the real audio of {data_dir.name}")
    sim = similarity(real, real, read_utt2spk(data_dir))
    sim["reference"] = str(data_dir.resolve())
    atomic_write_text(out_dir / SIMILARITY_FILE, json.dumps(sim, indent=1, ensure_ascii=False) + "\n")
    for name in GROUND_TRUTH_TABLES:
        if (data_dir / name).is_file():
            shutil.copyfile(data_dir / name, out_dir / name)
    info = {
        "kind": GROUND_TRUTH_KIND,
        "source": str(data_dir.resolve()),
        "utterances": len(texts),
        "decoded": str(hyp_src.parent.resolve()) if hyp_src else "here",
        "rtf": None,
    }
    atomic_write_text(out_dir / SYNTH_INFO, json.dumps(info, indent=1, ensure_ascii=False) + "\n")
    log.info(
        "%s (real audio): MER %.4f, SAER %.4f; %s",
        data_dir.name,
        result.form_error,
        result.saer,
        similarity_summary(sim),
    )
    return comparison_row(out_dir, resampling_of(cfg.metric))


def _speakers(per_utt: Any) -> int | None:
    """N of a ``similarity.json`` without ``speakers`` (written before it had one), from its utterances."""
    if not isinstance(per_utt, dict) or not per_utt:
        return None
    return 1 + max(len(r.get("others") or {}) for r in per_utt.values())


def summary_row(synth_dir: Path) -> dict[str, Any]:
    """One row of the comparison table from a judged synthesis folder's files: the speaker similarity as
    ``speakers`` (N, the speakers of the reference directory), ``similarity_own``, ``similarity_best_other``,
    ``own_first`` (the share of outputs whose own speaker ranks first of the N) and ``margin`` (mean own minus best
    other cosine). A ``similarity.json`` written before ranks (``closer_to_own``) gives its share as ``own_first``
    and no margin."""
    saer = json.loads((synth_dir / "saer.json").read_text(encoding="utf-8"))
    sim = json.loads((synth_dir / SIMILARITY_FILE).read_text(encoding="utf-8"))
    info = json.loads((synth_dir / SYNTH_INFO).read_text(encoding="utf-8"))
    return {
        "system": synth_dir.name,
        "kind": info.get("kind"),
        "utterances": saer["utterances"],
        "mer": saer["form_error"],
        "saer": saer["saer"],
        "e_sem": saer["semantic_error"],
        "speakers": sim.get("speakers", _speakers(sim.get("per_utterance"))),
        "similarity_own": sim.get("own_mean"),
        "similarity_best_other": sim.get("best_other_mean"),
        "own_first": sim.get("own_first", sim.get("closer_to_own")),  # closer_to_own: a similarity.json before ranks
        "margin": sim.get("margin_mean"),
        "rtf": info.get("rtf"),
        "per_tag_mer": {tag: g["form_error"] for tag, g in sorted(saer.get("per_tag", {}).items())},
    }


def comparison_row(folder: str | Path, resampling: Resampling | None = DEFAULT_RESAMPLING) -> dict[str, Any]:
    """:func:`summary_row` of a judged folder with its path (``folder``), the bootstrap intervals of its figures
    (``ci``: figure -> level, low, high, resamples, seed; :mod:`cstoolkit.tts.eval.stats`; none with ``resampling``
    None or of 0 resamples) and its numbers per language pair (``per_tag``: ``utt2lang`` value -> utterances, mer,
    saer, e_sem, speakers, similarity_own, own_first, margin, ci)."""
    from cstoolkit.data.kaldi_dir import read_kaldi_file

    folder = Path(folder)
    for name in ("saer.json", SIMILARITY_FILE, SYNTH_INFO):
        if not (folder / name).is_file():
            raise InputFileError(folder / name, "missing: not a judged folder (run cstk evaluate-tts on it)")
    row = summary_row(folder)
    saer = json.loads((folder / "saer.json").read_text(encoding="utf-8"))
    sim = json.loads((folder / SIMILARITY_FILE).read_text(encoding="utf-8")).get("per_utterance", {})
    utt2lang = read_kaldi_file(folder / "utt2lang") if (folder / "utt2lang").is_file() else {}
    saer_ci, tag_ci = saer_intervals(saer, resampling)
    row["ci"] = {**saer_ci, **similarity_intervals(sim, resampling)}
    per_tag: dict[str, dict[str, Any]] = {}
    for tag, group in sorted(saer.get("per_tag", {}).items()):
        utts = [u for u in sorted(sim) if utt2lang.get(u) == tag]
        values = similarity_values(sim, utts)
        sim_ci = similarity_intervals(sim, resampling, utts)
        sim_ci.pop("similarity_best_other", None)
        per_tag[tag] = {
            "utterances": group.get("utterances"),
            "mer": group.get("form_error"),
            "saer": group.get("saer"),
            "e_sem": group.get("semantic_error"),
            "speakers": row["speakers"],
            **{key: _mean(values[key]) for key in ("similarity_own", "own_first", "margin")},
            "ci": {**tag_ci.get(tag, {}), **sim_ci},
        }
    return {**row, "folder": str(folder.resolve()), "per_tag": per_tag}
