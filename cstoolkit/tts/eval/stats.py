"""Bootstrap intervals and paired p-values of the TTS comparison table (``cstk evaluate-tts --table``).

Every figure of a judged folder gets a percentile-bootstrap interval over its utterances, overall and per language
pair: MER, SAER and E_sem from ``saer.json`` (its own ``ci`` when it carries intervals of the same settings, else
re-pooled from its per-utterance edit counts and E_sem values by :func:`cstoolkit.metrics.bootstrap.add_intervals`),
speaker similarity from ``similarity.json`` as a user reads it: the share of outputs whose own speaker ranks first
among the N speakers of the reference directory (top-1 of N), the margin to the best other speaker, the cosine to
the own and to the best other speaker (:func:`cstoolkit.metrics.bootstrap.mean_interval` of the per-utterance
values).

Each row is compared with the row it builds on in the chain ground truth -> copy synthesis -> resynthesis -> TTS
(:func:`references`): copy synthesis with ground truth; resynthesis with copy synthesis (else ground truth); TTS,
and any other kind, with resynthesis (else copy synthesis, else ground truth) and with ground truth too; a later row
of a kind also with the first row of its kind (an AR TTS beside the NAR one). A comparison pairs the utterances both
folders judged (same reference text and language pair) and gives B - A, the row as B and its reference as A: MER,
SAER and E_sem by :func:`cstoolkit.metrics.comparison.compare_results` (paired bootstrap, two-sided p-value on the
shifted distribution), the own-speaker cosine, the share of outputs whose own speaker ranks first and the margin
by the same paired bootstrap of the per-utterance differences (the margin over the utterances both have one for).
A row identical to its reference gets difference 0 and p = 1.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cstoolkit.errors import ConfigError
from cstoolkit.metrics.align import Alignment, EditCounts
from cstoolkit.metrics.bootstrap import (
    add_intervals,
    intervals_to_dict,
    mean_interval,
    percentile_interval,
    resampled_means,
)
from cstoolkit.metrics.comparison import TESTS, Difference, bootstrap_p_value, compare_results
from cstoolkit.metrics.saer import SAERConfig, SAERResult, UtteranceScore, group_score
from cstoolkit.metrics.scoring import Resampling, resampling_from_mapping

log = logging.getLogger(__name__)

SIMILARITY_FILE = "similarity.json"
SAER_FILE = "saer.json"
GROUND_TRUTH_KIND = "ground truth"
#: the metric's figure names -> the table's
FIGURE_KEYS = {"form_error": "mer", "saer": "saer", "semantic_error": "e_sem"}
#: figures of similarity.json with intervals (per language pair: all but similarity_best_other)
SIMILARITY_KEYS = ("similarity_own", "similarity_best_other", "own_first", "margin")
#: figures of similarity.json compared between rows (paired over their utterances)
PAIRED_SIMILARITY_KEYS = ("similarity_own", "own_first", "margin")
#: kind of a row -> the kinds of the row it is compared with, the first one present wins
REFERENCE_KINDS = {
    GROUND_TRUTH_KIND: (),
    "copy synthesis": (GROUND_TRUTH_KIND,),
    "resynthesis": ("copy synthesis", GROUND_TRUTH_KIND),
}
#: the same for TTS and any other kind; these rows are compared with ground truth too
LAST_REFERENCE_KINDS = ("resynthesis", "copy synthesis", GROUND_TRUTH_KIND)
#: the test behind every p-value of the table
TEST = TESTS["bootstrap"]


def resampling_of(metric: Mapping[str, Any] | None) -> Resampling:
    """The bootstrap settings of the ``metric`` config group (``bootstrap`` resamples, 0: none; ``seed``;
    ``ci_level``), the same for the table as for every ``saer.json``; ConfigError naming a bad key."""
    return resampling_from_mapping(metric or {})


def _enabled(resampling: Resampling | None) -> bool:
    return resampling is not None and resampling.enabled


def _made_with(resampling: Resampling, interval: Any) -> bool:
    """Whether an interval's JSON object was made with these settings."""
    if not isinstance(interval, Mapping):
        return False
    made = (interval.get("level"), interval.get("resamples"), interval.get("seed"))
    return made == (resampling.level, resampling.resamples, resampling.seed)


DEFAULT_RESAMPLING = Resampling()


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object of a judged folder ({} when the file is missing or not an object)."""
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}


def _signature_fields(signature: Any) -> dict[str, str]:
    """``saer|lam:0.5|...|esem:mean|...`` -> {"lam": "0.5", ..., "esem": "mean"}."""
    parts = str(signature or "").split("|")
    return dict(p.split(":", 1) for p in parts if ":" in p)


def result_from_json(doc: Mapping[str, Any], ids: Sequence[str] | None = None) -> SAERResult | None:
    """The scores of a ``saer.json`` document rebuilt from its per-utterance edit counts and E_sem values (of
    ``ids`` only, in that order, when given), enough to resample and compare; None when it has no per-utterance
    scores or no signature to read the settings from."""
    fields = _signature_fields(doc.get("signature"))
    utts = doc.get("per_utterance")
    if not isinstance(utts, list) or "lam" not in fields:
        return None
    try:
        config = SAERConfig(lam=float(fields["lam"]), semantic_weighting=fields.get("esem", "mean"))
        by_id = {str(u["id"]): u for u in utts}
        chosen = [by_id[i] for i in ids] if ids is not None else utts
        scores = [
            UtteranceScore(
                str(u["id"]),
                str(u.get("reference", "")),
                str(u.get("hypothesis", "")),
                Alignment([], [], [], EditCounts(u["substitutions"], u["deletions"], u["insertions"], u["ref_units"])),
                u.get("semantic_error"),
                config.lam,
                u.get("tag"),
            )
            for u in chosen
        ]
    except (KeyError, TypeError, ValueError, ConfigError) as err:
        log.warning("saer.json with unreadable per-utterance scores (%s): no intervals from it", err)
        return None
    by_tag: dict[str, list[UtteranceScore]] = {}
    for score in scores:
        if score.tag is not None:
            by_tag.setdefault(score.tag, []).append(score)
    return SAERResult(
        corpus=group_score(scores, config),
        signature=str(doc.get("signature")),
        per_utterance=scores,
        per_script={},
        per_tag={tag: group_score(group, config) for tag, group in sorted(by_tag.items())},
        per_word_language={},
        config=config,
    )


def _renamed(ci: Any) -> dict[str, Any]:
    if not isinstance(ci, Mapping):
        return {}
    return {FIGURE_KEYS[name]: value for name, value in ci.items() if name in FIGURE_KEYS}


def saer_intervals(
    doc: Mapping[str, Any], resampling: Resampling | None
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Intervals of MER, SAER and E_sem of a ``saer.json`` document: overall and per tag (JSON objects): its own
    ``ci`` when made with ``resampling``, else re-pooled from its per-utterance scores, else whatever it carries."""
    if not _enabled(resampling):
        return {}, {}
    tags = doc.get("per_tag") or {}
    if _made_with(resampling, next(iter((doc.get("ci") or {}).values()), None)):
        return _renamed(doc["ci"]), {tag: _renamed(group.get("ci")) for tag, group in tags.items()}
    result = result_from_json(doc)
    if result is None:
        return _renamed(doc.get("ci")), {tag: _renamed(group.get("ci")) for tag, group in tags.items()}
    add_intervals(result, resampling.resamples, resampling.seed, resampling.level)
    per_tag = {tag: _renamed(intervals_to_dict(group.ci)) for tag, group in result.per_tag.items()}
    return _renamed(intervals_to_dict(result.ci)), per_tag


def similarity_value(row: Mapping[str, Any], key: str) -> float | None:
    """One of :data:`SIMILARITY_KEYS` of an utterance of ``similarity.json`` (None: it has none). An utterance
    written before ranks (``closer_to_own``) gives that as ``own_first`` and no margin."""
    if key == "similarity_own":
        return float(row["own"])
    if key == "similarity_best_other":
        return float(max(row["others"].values())) if row.get("others") else None
    if key == "own_first":
        return float(bool(row["own_first"] if "own_first" in row else row["closer_to_own"]))
    if key == "margin":
        return None if row.get("margin") is None else float(row["margin"])
    raise KeyError(key)


def similarity_values(per_utt: Mapping[str, Mapping[str, Any]], utts: Iterable[str]) -> dict[str, list[float]]:
    """Per-utterance values of :data:`SIMILARITY_KEYS` of ``utts`` (those ``similarity.json`` has a value for)."""
    rows = [per_utt[u] for u in utts if u in per_utt]
    values = {key: [similarity_value(r, key) for r in rows] for key in SIMILARITY_KEYS}
    return {key: [v for v in vs if v is not None] for key, vs in values.items()}


def similarity_intervals(
    per_utt: Mapping[str, Mapping[str, Any]], resampling: Resampling | None, utts: Iterable[str] | None = None
) -> dict[str, Any]:
    """:func:`mean_interval` of :data:`SIMILARITY_KEYS` over ``utts`` (default: all of ``similarity.json``'s
    ``per_utterance``): the cosine to the own and to the best other speaker, the share of outputs whose own speaker
    ranks first and the margin, as JSON objects; none for a figure without values."""
    if not _enabled(resampling):
        return {}
    values = similarity_values(per_utt, sorted(per_utt) if utts is None else utts)
    r = resampling
    return {key: mean_interval(v, r.resamples, r.seed, r.level).to_dict() for key, v in values.items() if v}


def paired_mean_difference(a: Sequence[float], b: Sequence[float], resampling: Resampling) -> Difference:
    """mean(b) - mean(a) of paired per-utterance values, its paired-bootstrap interval and two-sided p-value."""
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    differences = vb - va
    means = resampled_means(differences, resampling.resamples, resampling.seed)
    interval = percentile_interval(means, resampling.level, resampling.resamples, resampling.seed)
    return Difference(float(va.mean()), float(vb.mean()), interval, bootstrap_p_value(means, float(differences.mean())))


def references(rows: Sequence[Mapping[str, Any]], index: int) -> list[int]:
    """Indices of the rows that row ``index`` is compared with, the main one first (see the module doc)."""
    kinds = [r.get("kind") for r in rows]
    kind = kinds[index]

    def first_of(wanted: str) -> int | None:
        return next((j for j, k in enumerate(kinds) if k == wanted and j != index), None)

    found = [first_of(k) for k in REFERENCE_KINDS.get(kind, LAST_REFERENCE_KINDS)]
    out = [j for j in found if j is not None][:1]
    extra = [first_of(GROUND_TRUTH_KIND)] if kind not in REFERENCE_KINDS else []
    extra.append(next((j for j in range(index) if kinds[j] == kind), None))
    out += [j for j in extra if j is not None and j not in out]
    return out


def _paired_saer(doc_a: Mapping, doc_b: Mapping, resampling: Resampling, names: tuple[str, str]):
    """(utterances, figure -> Difference JSON, note) of the SAER figures of two ``saer.json`` documents."""
    utts_a = {str(u.get("id")): u for u in doc_a.get("per_utterance") or []}
    utts_b = {str(u.get("id")): u for u in doc_b.get("per_utterance") or []}
    if not utts_a or not utts_b:
        return 0, {}, "no per-utterance scores in saer.json"
    if doc_a.get("signature") != doc_b.get("signature"):
        return 0, {}, f"scored with different settings: {doc_a.get('signature')} vs {doc_b.get('signature')}"

    def key(u: Mapping) -> tuple:
        return u.get("reference"), u.get("tag")

    shared = [i for i in utts_b if i in utts_a and key(utts_a[i]) == key(utts_b[i])]
    a, b = result_from_json(doc_a, shared), result_from_json(doc_b, shared)
    if not shared or a is None or b is None:
        return 0, {}, "no utterance in common"
    r = resampling
    try:
        comparison = compare_results(a, b, r.resamples, r.seed, r.level, names=names)
    except ConfigError as err:
        return 0, {}, str(err)
    return len(shared), {FIGURE_KEYS[n]: d.to_dict() for n, d in comparison.differences.items()}, None


def compare_judged(
    a: Mapping[str, Any], b: Mapping[str, Any], docs_a: tuple[dict, dict], docs_b: tuple[dict, dict], r: Resampling
) -> dict[str, Any]:
    """Row ``b`` against row ``a`` over the utterances both judged: ``vs`` (a's system), ``utterances`` (paired in
    SAER), ``similarity_utterances``, ``differences`` (figure -> a, b, delta = b - a, ci, p_value), ``note`` when
    a part could not be compared."""
    (saer_a, sim_a), (saer_b, sim_b) = docs_a, docs_b
    count, differences, note = _paired_saer(saer_a, saer_b, r, (str(a.get("system")), str(b.get("system"))))
    per_a, per_b = sim_a.get("per_utterance") or {}, sim_b.get("per_utterance") or {}
    shared = [u for u in sorted(per_b) if u in per_a]
    for key in PAIRED_SIMILARITY_KEYS:
        pairs = [(similarity_value(per_a[u], key), similarity_value(per_b[u], key)) for u in shared]
        pairs = [(va, vb) for va, vb in pairs if va is not None and vb is not None]
        if pairs:
            values_a, values_b = zip(*pairs, strict=True)
            differences[key] = paired_mean_difference(values_a, values_b, r).to_dict()
    out = {
        "vs": a.get("system"),
        "kind": a.get("kind"),
        "test": TEST,
        "utterances": count,
        "similarity_utterances": len(shared),
        "differences": differences,
    }
    if note:
        out["note"] = note
    return out


def add_comparisons(rows: list[dict[str, Any]], resampling: Resampling | None = DEFAULT_RESAMPLING) -> list[dict]:
    """Fill each row's ``comparisons`` (:func:`compare_judged` against each of its :func:`references`), ``vs`` (the
    system of the main one, None without one) and ``p_values`` (figure -> p against ``vs``). Rows need their
    ``folder`` (:func:`cstoolkit.tts.eval.evaluate.comparison_row`); without it, or without resampling, none."""
    cache: dict[int, tuple[dict, dict]] = {}

    def docs(i: int) -> tuple[dict, dict]:
        if i not in cache:
            folder = rows[i].get("folder")
            cache[i] = (read_json(Path(folder) / SAER_FILE), read_json(Path(folder) / SIMILARITY_FILE))
        return cache[i]

    for i, row in enumerate(rows):
        found = references(rows, i) if _enabled(resampling) and row.get("folder") else []
        row["comparisons"] = [
            compare_judged(rows[j], row, docs(j), docs(i), resampling) for j in found if rows[j].get("folder")
        ]
        main = row["comparisons"][0] if row["comparisons"] else None
        row["vs"] = main["vs"] if main else None
        row["p_values"] = {k: d["p_value"] for k, d in main["differences"].items()} if main else {}
        for comparison in row["comparisons"]:
            saer = comparison["differences"].get("saer")
            if saer is not None:
                log.info(
                    "%s vs %s: SAER %+.4f [%s, %s], p = %.4f (%d utterances)",
                    row.get("system"),
                    comparison["vs"],
                    saer["delta"],
                    saer["ci"]["low"],
                    saer["ci"]["high"],
                    saer["p_value"],
                    comparison["utterances"],
                )
    return rows
