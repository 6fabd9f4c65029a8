"""What tells a user the tokens are good: ``report.json`` + ``report.png`` of a tokenizer directory.

- codebook usage (share of the codes used) and code perplexity per split, tokens per audio second, and whether every
  utterance has as many tokens as its duration times the token rate;
- how much of what was said the tokens keep: MER/SAER of the test set decoded through the quantizer against the
  continuous CS-ASR of the same run, overall and per language pair, each with its bootstrap interval (from the decode
  folders' saer.json), and the paired difference quantized - continuous over the same utterances with its interval
  and p-value (both decodings scored again against the test set: :func:`cstoolkit.metrics.scoring.compare_files`);
- speaker invariance: for sentences read by two speakers (train), the normalised edit distance between the two token
  sequences, against the distance between sequences of different sentences of the same language pair read by the
  same two speakers (so only the sentence differs).
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cstoolkit.core.atomic import atomic_save, atomic_write_json
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.text import normalize
from cstoolkit.tokenizer.checks import INFO_FILE, REPORT_JSON, REPORT_PNG, TOKENS_FILE
from cstoolkit.tokenizer.extract import read_speech_tokens
from cstoolkit.tokenizer.recognition import (
    bracket,
    decode_scores,
    mer_error_bars,
    quantized_vs_continuous,
    with_interval,
)

log = logging.getLogger(__name__)

#: a token count may differ from duration x rate by the frames the subsampling convolutions eat at the edges
COUNT_TOLERANCE = 3


def code_usage(tokens: dict[str, list[int]], codebook_size: int) -> dict:
    """``codes_used`` (share of the codebook), ``code_perplexity`` (exp of the code entropy), ``tokens``."""
    counts = Counter(t for seq in tokens.values() for t in seq)
    total = sum(counts.values())
    entropy = -sum(c / total * math.log(c / total) for c in counts.values()) if total else 0.0
    return {
        "tokens": total,
        "codes_used": len(counts) / codebook_size,
        "code_perplexity": math.exp(entropy),
        "distinct_codes": len(counts),
    }


def count_check(tokens: dict[str, list[int]], utt2dur: dict[str, float], rate: float) -> dict:
    """How far each utterance's token count is from duration x rate."""
    diffs = {u: len(t) - utt2dur[u] * rate for u, t in tokens.items() if u in utt2dur}
    worst = max(diffs, key=lambda u: abs(diffs[u])) if diffs else None
    return {
        "utterances_with_duration": len(diffs),
        "mean_difference_tokens": sum(diffs.values()) / len(diffs) if diffs else None,
        "max_abs_difference_tokens": abs(diffs[worst]) if worst else None,
        "worst_utterance": worst,
        "tolerance_tokens": COUNT_TOLERANCE,
        "all_within_tolerance": all(abs(d) <= COUNT_TOLERANCE for d in diffs.values()),
    }


def speaker_invariance(data_dir: Path, tokens: dict[str, list[int]], seed: int = 0) -> dict:
    """Normalised edit distance of the token sequences of one sentence read by two speakers, against two different
    sentences (same language pair) read by the same two speakers."""
    from rapidfuzz.distance import Levenshtein

    texts = read_kaldi_file(data_dir / "text", allow_empty_value=True)
    utt2spk = read_kaldi_file(data_dir / "utt2spk")
    utt2lang = read_kaldi_file(data_dir / "utt2lang") if (data_dir / "utt2lang").is_file() else {}
    by_sentence: dict[str, list[str]] = defaultdict(list)
    for utt in sorted(tokens):
        if utt in texts and utt in utt2spk:
            by_sentence[normalize(texts[utt])].append(utt)
    by_spk_lang: dict[tuple[str, str], list[str]] = defaultdict(list)
    for utt in sorted(tokens):
        if utt in utt2spk:
            by_spk_lang[(utt2spk[utt], utt2lang.get(utt, ""))].append(utt)
    rng = random.Random(seed)
    same, other = [], []
    per_pair: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for sentence, utts in sorted(by_sentence.items()):
        readers = [u for u in utts if utt2spk[u] != utt2spk[utts[0]]]
        if not readers:
            continue
        a, b = utts[0], readers[0]
        choices = [c for c in by_spk_lang[(utt2spk[b], utt2lang.get(a, ""))] if normalize(texts[c]) != sentence]
        if not choices:
            continue
        c = rng.choice(choices)
        d_same = Levenshtein.normalized_distance(tokens[a], tokens[b])
        d_other = Levenshtein.normalized_distance(tokens[a], tokens[c])
        same.append(d_same)
        other.append(d_other)
        per_pair[utt2lang.get(a, "all")].append((d_same, d_other))
    if not same:
        return {"pairs": 0, "note": f"no sentence of {data_dir} is read by two speakers"}
    mean_same, mean_other = sum(same) / len(same), sum(other) / len(other)
    return {
        "split": data_dir.name,
        "pairs": len(same),
        "same_sentence_two_speakers": mean_same,
        "different_sentences_same_speakers": mean_other,
        "difference": mean_other - mean_same,
        "ratio": mean_same / mean_other if mean_other else None,
        "share_of_pairs_closer": sum(s < o for s, o in zip(same, other)) / len(same),
        "per_pair": {p: _means(v) for p, v in sorted(per_pair.items())},
        "distances": {"same": same, "different": other},
    }


def _means(pairs: list[tuple[float, float]]) -> dict[str, float]:
    return {"same": sum(s for s, _ in pairs) / len(pairs), "different": sum(o for _, o in pairs) / len(pairs)}


def tokenizer_report(
    model_dir: str | Path,
    data_dirs: dict[str, Path],
    decode_dir: str | Path | None = None,
    asr_decode_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    seed: int = 0,
    test_dir: str | Path | None = None,
    metric_cfg: Mapping[str, Any] | None = None,
) -> dict:
    """Write ``report.json`` and ``report.png`` into ``out_dir`` (default ``model_dir``) and return the report.

    ``data_dirs``: split name -> data directory holding ``speech_tokens`` (the speaker-invariance figure uses the
    ``train`` split); ``decode_dir``: the test set decoded through the quantizer and scored; ``asr_decode_dir``: the
    same test set decoded by the continuous CS-ASR of the run and scored; ``test_dir``: the data directory both
    decoded, for the paired difference (scored with ``metric_cfg``, the ``metric`` config group; default: conf's).
    """
    model_dir = Path(model_dir)
    out_dir = Path(out_dir) if out_dir else model_dir
    info = json.loads((model_dir / INFO_FILE).read_text(encoding="utf-8"))
    rate, size = float(info["token_rate_hz"]), int(info["codebook_size"])
    splits: dict[str, dict] = {}
    all_tokens: dict[str, dict[str, list[int]]] = {}
    for name, data_dir in data_dirs.items():
        data_dir = Path(data_dir)
        tokens = read_speech_tokens(data_dir / TOKENS_FILE)
        all_tokens[name] = tokens
        utt2dur = {u: float(d) for u, d in read_kaldi_file(data_dir / "utt2dur").items()}
        seconds = sum(utt2dur.get(u, 0.0) for u in tokens)
        usage = code_usage(tokens, size)
        splits[name] = {
            "dir": str(data_dir),
            "utterances": len(tokens),
            "utterances_without_tokens": sorted(set(utt2dur) - set(tokens)),
            "audio_seconds": seconds,
            "tokens_per_second": usage["tokens"] / seconds if seconds else None,
            **usage,
            "count_check": count_check(tokens, utt2dur, rate),
        }
    quantized = decode_scores(Path(decode_dir) if decode_dir else None)
    continuous = decode_scores(Path(asr_decode_dir) if asr_decode_dir else None)
    comparison = quantized_vs_continuous(quantized, continuous, Path(test_dir) if test_dir else None, metric_cfg)
    invariance = speaker_invariance(Path(data_dirs["train"]), all_tokens["train"], seed) if "train" in data_dirs else {}
    report = {
        "tokenizer": info,
        "splits": splits,
        "quantized": quantized,
        "continuous": continuous,
        "quantized_vs_continuous": comparison,
        "speaker_invariance": {k: v for k, v in invariance.items() if k != "distances"},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / REPORT_JSON, report)
    plot_report(report, all_tokens, invariance.get("distances"), size, out_dir / REPORT_PNG)
    log.info("tokenizer report -> %s: %s", out_dir / REPORT_JSON, summary_line(report))
    return report


def summary_line(report: dict) -> str:
    """One line: usage, perplexity, MER quantized vs continuous, speaker invariance."""
    parts = []
    for name, s in report["splits"].items():
        parts.append(f"{name}: {s['codes_used']:.0%} of codes, perplexity {s['code_perplexity']:.0f}")
    q, c = report.get("quantized"), report.get("continuous")
    if q:
        text = f"test MER {with_interval(q)} through the quantizer" + (
            f" vs {with_interval(c)} continuous" if c else ""
        )
        paired = (report.get("quantized_vs_continuous") or {}).get("paired")
        if paired:
            diff = paired["mer"]
            verdict = "significant" if diff["significant"] else "not significant"
            text += f" (difference {diff['delta']:+.4f}{bracket(diff['ci'])}, p={diff['p_value']:.4f}, {verdict})"
        parts.append(text)
    inv = report.get("speaker_invariance") or {}
    if inv.get("pairs"):
        parts.append(
            f"same sentence/2 speakers {inv['same_sentence_two_speakers']:.3f} vs different sentences "
            f"{inv['different_sentences_same_speakers']:.3f}"
        )
    return "; ".join(parts)


def plot_report(report: dict, tokens: dict, distances: dict | None, size: int, path: Path) -> None:
    """Code frequencies by rank per split; MER per language pair (quantized vs continuous); distance histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    ax = axes[0]
    for name, seqs in tokens.items():
        counts = sorted(Counter(t for s in seqs.values() for t in s).values(), reverse=True)
        total = sum(counts) or 1
        ax.plot(
            range(1, len(counts) + 1),
            [c / total for c in counts],
            label=f"{name}: {len(counts)}/{size} codes, ppl {report['splits'][name]['code_perplexity']:.0f}",
        )
    ax.set_yscale("log")
    ax.set_xlabel("code rank")
    ax.set_ylabel("share of tokens")
    ax.set_title("codebook usage")
    ax.legend(fontsize=8)
    ax = axes[1]
    q, c = report.get("quantized"), report.get("continuous")
    if q:
        pairs = sorted(q["per_pair"])
        xs = range(len(pairs))
        ax.bar(
            [x - 0.2 for x in xs],
            [q["per_pair"][p]["mer"] or 0 for p in pairs],
            0.4,
            yerr=mer_error_bars([q["per_pair"][p] for p in pairs]),
            capsize=2,
            label=f"through the quantizer ({with_interval(q)})",
        )
        if c:
            ax.bar(
                [x + 0.2 for x in xs],
                [(c["per_pair"].get(p) or {}).get("mer") or 0 for p in pairs],
                0.4,
                yerr=mer_error_bars([c["per_pair"].get(p) for p in pairs]),
                capsize=2,
                label=f"continuous CS-ASR ({with_interval(c)})",
            )
        ax.set_xticks(list(xs), pairs, rotation=45, fontsize=8)
        ax.legend(fontsize=8)
    ax.set_ylabel("test MER")
    ax.set_title("what the tokens keep of what was said")
    ax = axes[2]
    if distances:
        bins = [i / 20 for i in range(21)]
        ax.hist(distances["same"], bins, alpha=0.6, label="same sentence, two speakers")
        ax.hist(distances["different"], bins, alpha=0.6, label="different sentences, same speakers")
        ax.legend(fontsize=8)
    ax.set_xlabel("normalised edit distance of the token sequences")
    ax.set_title("speaker invariance (train)")
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
