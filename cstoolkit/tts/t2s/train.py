"""The text -> speech-token training stage: aligned data directories -> ``exp/t2s`` (NAR model).

Reads, per data directory, what ``cstk tokenize`` and ``cstk align-units`` wrote: ``speech_tokens``, ``text_units``,
``unit_durations``, ``unit_langs`` (and ``utt_embed.scp`` from ``cstk embed-speakers`` when the model takes a
speaker). The model directory is self-contained for synthesis: ``config.yaml`` (the composed config; ``t2s.model``
with the sizes measured from the data filled in), ``model.pth``, ``units/`` (the tokenizer's text units),
``t2s.json`` (tokenizer, codebook, token rate, the language codes in id order, and the flow model directory
that speaks its tokens when ``--flow-dir`` was given: :class:`cstoolkit.tts.api.TextToSpeech`) and the training record
(``checkpoints/``, ``logs/``, ``history.jsonl``, ``training_curve.png``, ``train_summary.json``).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from cstoolkit.asr.data import FRAME_COUNTS
from cstoolkit.core.modeldir import UNITS_SUBDIR, write_model_dir
from cstoolkit.data.loader import padded_collate, table_loaders
from cstoolkit.data.table import Field, UttTable, read_table
from cstoolkit.errors import InputFileError
from cstoolkit.text.tokens import TextTokenizer, copy_units
from cstoolkit.tokenizer.checks import INFO_FILE as TOKENIZER_INFO
from cstoolkit.tokenizer.checks import TOKENS_FILE, read_tokenizer_info
from cstoolkit.train.module import build_module
from cstoolkit.train.trainer import FitResult, fit
from cstoolkit.tts.pretrained.speaker import EMBED_FILE
from cstoolkit.tts.t2s.align import ALIGN_INFO, DURATIONS_FILE, LANGS_FILE, LEAD_POLICY, UNITS_FILE, units_fingerprint
from cstoolkit.tts.t2s.base import fill_from_data
from cstoolkit.tts.t2s.checks import FLOW_DIR_KEY, T2S_INFO, check_flow_dir, check_t2s_config

log = logging.getLogger(__name__)

UNK_LANG = "<unk>"  # language id 0: codes the training data did not have
#: what the model reads from a data directory (``utt_embed`` only when it takes a speaker)
FIELDS = {
    "text_units": Field(UNITS_FILE, "ints"),
    "unit_durations": Field(DURATIONS_FILE, "ints"),
    "unit_langs": Field(LANGS_FILE, "text"),
    "speech_tokens": Field(TOKENS_FILE, "ints"),
}
SPEAKER_FIELD = {"utt_embed": Field(EMBED_FILE, "scp")}


def t2s_table(data_dir: str | Path, cfg: DictConfig, speaker: bool) -> UttTable:
    """The aligned utterances of ``data_dir`` (lengths: speech tokens). Rows whose files disagree (an alignment
    older than the speech tokens), without units, or longer than ``batch.max_frames_per_utt`` speech tokens or
    ``batch.max_tokens_per_utt`` units are skipped and reported. ``unit_langs`` stay language codes here."""
    data_dir = Path(data_dir)
    fields = {**FIELDS, **(SPEAKER_FIELD if speaker else {})}
    for f in fields.values():
        if not (data_dir / f.file).is_file():
            stage = {TOKENS_FILE: "cstk tokenize", EMBED_FILE: "cstk embed-speakers (or set t2s.model.speaker_dim=0)"}
            raise InputFileError(data_dir / f.file, f"missing: run {stage.get(f.file, 'cstk align-units')} first")
    table = read_table(data_dir, fields, FRAME_COUNTS)  # lengths replaced by the speech-token counts below
    table.columns["unit_langs"] = [value.split() for value in table.columns["unit_langs"]]
    table.lengths = [len(t) for t in table.columns["speech_tokens"]]
    max_frames, max_units = int(cfg.batch.max_frames_per_utt), int(cfg.batch.max_tokens_per_utt)

    def reason(i: int) -> str | None:
        units, durs = table.columns["text_units"][i], table.columns["unit_durations"][i]
        langs, tokens = table.columns["unit_langs"][i], table.columns["speech_tokens"][i]
        if not units:
            return "no text units"
        if not len(units) == len(durs) == len(langs):
            return (
                f"{UNITS_FILE}, {DURATIONS_FILE} and {LANGS_FILE} disagree ({len(units)}, {len(durs)}, "
                f"{len(langs)} entries): re-run cstk align-units"
            )
        if sum(durs) != len(tokens) or min(durs) < 1:
            return (
                f"durations sum to {sum(durs)} frames but there are {len(tokens)} speech tokens: "
                f"{TOKENS_FILE} changed since the alignment (re-run cstk align-units)"
            )
        if len(tokens) > max_frames:
            return f"{len(tokens)} speech tokens > t2s.batch.max_frames_per_utt={max_frames}"
        if len(units) > max_units:
            return f"{len(units)} text units > t2s.batch.max_tokens_per_utt={max_units}"
        return None

    table.keep(reason)
    table.log_skipped()
    if not len(table):
        raise InputFileError(data_dir, f"no utterance to train the text -> speech-token model on: {table.why_empty()}")
    return table


def check_alignment(data_dir: Path, units_dir: Path) -> None:
    """InputFileError when ``data_dir`` was aligned with other text units than the tokenizer's ``units_dir``."""
    path = data_dir / ALIGN_INFO
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"not readable ({type(err).__name__}): run cstk align-units first") from None
    if info.get("units_sha1") != units_fingerprint(units_dir):
        why = f"aligned with other text units than {units_dir} (tokenizer {info.get('tokenizer')})"
        raise InputFileError(path, f"{why}: re-run cstk align-units with this tokenizer")


def encode_langs(table: UttTable, languages: list[str]) -> Counter:
    """Replace the ``unit_langs`` codes by ids (index in ``languages``; unknown codes: 0); the unknown codes."""
    index = {code: i for i, code in enumerate(languages)}
    unknown: Counter = Counter()
    ids = []
    for codes in table.columns["unit_langs"]:
        ids.append([index.get(c, 0) for c in codes])
        unknown.update(c for c in codes if c not in index)
    table.columns["unit_langs"] = ids
    return unknown


def _check_ids(table: UttTable, name: str, vocab: int, what: str) -> None:
    """InputFileError naming the first utterance with an id of column ``name`` outside ``[0, vocab)``."""
    for utt, ids in zip(table.utt_ids, table.columns[name]):
        if min(ids) < 0 or max(ids) >= vocab:
            bad = next(t for t in ids if t < 0 or t >= vocab)
            raise InputFileError(
                table.data_dir / table.fields[name].file, f"{utt}: id {bad} outside the {what} [0, {vocab})"
            )


@dataclass
class T2SData:
    """Training and validation tables, the filled-in model config and what ``t2s.json`` records."""

    train: UttTable
    dev: UttTable | None
    model_cfg: DictConfig
    info: dict


def t2s_training_data(train_dir: Path, dev_dir: Path | None, tokenizer_dir: Path, cfg: DictConfig) -> T2SData:
    """Read the tables, the tokenizer's codebook and units, the language codes, and fill the ``t2s`` config."""
    codebook, rate = read_tokenizer_info(tokenizer_dir)
    units_dir = tokenizer_dir / UNITS_SUBDIR
    units = TextTokenizer(units_dir)
    speaker = bool(cfg.t2s.model.speaker_dim)
    tables = []
    for data_dir in (train_dir, dev_dir):
        if data_dir is None:
            tables.append(None)
            continue
        check_alignment(data_dir, units_dir)
        tables.append(t2s_table(data_dir, cfg.t2s, speaker))
    train, dev = tables
    languages = [UNK_LANG, *sorted({c for codes in train.columns["unit_langs"] for c in codes})]
    encode_langs(train, languages)
    if dev is not None:
        unknown = encode_langs(dev, languages)
        if unknown:
            log.warning(
                "%s: language codes the train split does not have (id 0, %s): %s",
                dev_dir,
                UNK_LANG,
                dict(unknown.most_common()),
            )
    for table in (train, dev):
        if table is not None:
            _check_ids(table, "text_units", len(units), "tokenizer's text units")
            _check_ids(table, "speech_tokens", codebook, "tokenizer's codebook")
            if speaker:
                table.check_dim("utt_embed", int(cfg.t2s.model.speaker_dim), "t2s.model.speaker_dim")
    model_cfg = fill_from_data(
        cfg.t2s, unit_vocab_size=len(units), lang_vocab_size=len(languages), codebook_size=codebook
    )
    info = {
        "tokenizer": str(tokenizer_dir.resolve()),
        "codebook_size": codebook,
        "token_rate_hz": rate,
        "units": len(units),
        "languages": languages,
        "speaker_dim": int(model_cfg.model.speaker_dim or 0),
        "lead_blanks": LEAD_POLICY,
        "train_utterances": len(train),
        "train_frames_per_unit": round(
            sum(map(sum, train.columns["unit_durations"])) / sum(map(len, train.columns["text_units"])), 3
        ),
    }
    return T2SData(train, dev, model_cfg, info)


def train_t2s(
    train_dir: str | Path,
    dev_dir: str | Path | None,
    tokenizer_dir: str | Path,
    exp_dir: str | Path,
    cfg: DictConfig,
    flow_dir: str | Path | None = None,
) -> FitResult:
    """Train the ``cfg.t2s`` model on ``train_dir`` (validated on ``dev_dir``) into ``exp_dir``; resumes if killed.
    ``flow_dir``: the flow model that speaks the tokens (checked, recorded in ``t2s.json``). Everything is checked
    before anything is written into ``exp_dir``."""
    check_t2s_config(cfg)
    train_dir, exp_dir, tokenizer_dir = Path(train_dir), Path(exp_dir), Path(tokenizer_dir)
    data = t2s_training_data(train_dir, Path(dev_dir) if dev_dir else None, tokenizer_dir, cfg)
    if flow_dir is not None:
        data.info[FLOW_DIR_KEY] = str(check_flow_dir(flow_dir, data.info, tokenizer_dir / TOKENIZER_INFO))
    seed = int(cfg.seed)
    module = build_module(data.model_cfg, "t2s", seed=seed)
    counts = module.model.parameter_counts()
    data.info["parameters"] = counts
    parts = ", ".join(f"{name} {n / 1e6:.2f} M" for name, n in counts.items() if name != "total")
    log.info(
        "t2s model %s: %.2f M parameters (%s); %d units, %d languages, %d codes at %.2f tokens/s",
        data.model_cfg.name,
        counts["total"] / 1e6,
        parts,
        data.info["units"],
        len(data.info["languages"]),
        data.info["codebook_size"],
        data.info["token_rate_hz"],
    )
    speaker_dim = int(data.model_cfg.model.speaker_dim or 0)
    dims = {"utt_embed": speaker_dim} if speaker_dim else {}
    train_loader, dev_loader = table_loaders(data.train, data.dev, dims, data.model_cfg.batch, seed, padded_collate())

    def describe_model_dir() -> None:
        copy_units(tokenizer_dir / UNITS_SUBDIR, exp_dir)
        skipped = {**data.train.skipped, **(data.dev.skipped if data.dev else {})}
        write_model_dir(exp_dir, cfg, skipped, (T2S_INFO, data.info), t2s=data.model_cfg)

    return fit(
        module,
        train_loader,
        dev_loader,
        exp_dir,
        data.model_cfg.train,
        cfg.trainer,
        seed=seed,
        before_training=describe_model_dir,
    )
