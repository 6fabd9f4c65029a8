"""Text-to-speech of a whole data directory: every sentence in the voice of another utterance of its speaker
(``cstk synthesize --data-dir``, the recipe's TTS stages)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.data.synthetic import Engine, Script, write_script_dir
from cstoolkit.errors import InputFileError
from cstoolkit.tts.api import KIND, NothingToSpeakError, TextToSpeech
from cstoolkit.tts.flow.synthesis import PROMPTS_FILE, Prompt, choose_prompts, prompts_from_other_dir

log = logging.getLogger(__name__)


def synthesize_dir(
    tts: TextToSpeech, data_dir: str | Path, out_dir: str | Path, seed: int = 0, prompt_dir: str | Path | None = None
) -> dict:
    """Every sentence of ``data_dir/text`` spoken in the voice of another utterance of the same speaker (the prompts
    of :func:`choose_prompts`, as resynthesis picks them: their speech tokens, mel and d-vector come from the data
    directory, ``utt2lang`` and ``utt2seg.jsonl`` give the languages) into the synthesis folder ``out_dir``.
    With ``prompt_dir`` the prompts are utterances of the same speaker in that data directory instead
    (:func:`prompts_from_other_dir`), and ``data_dir`` needs only its text tables (new sentences, no audio).

    Left out and reported in ``synthesis.json`` (``skipped``): utterances whose speaker has no other utterance,
    those the data directory has no tokens/mel/embedding for, and texts with nothing speakable.
    """
    from cstoolkit.data.kaldi_dir import SEGMENTS_FILE, read_segments, read_utt2spk
    from cstoolkit.data.matrices import load_features
    from cstoolkit.tts.flow.data import flow_table

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    if not (data_dir / "text").is_file():
        raise InputFileError(data_dir / "text", "missing: not a data directory")
    texts = read_kaldi_file(data_dir / "text", allow_empty_value=True)
    utt2lang = read_kaldi_file(data_dir / "utt2lang") if (data_dir / "utt2lang").is_file() else {}
    utt2seg = read_segments(data_dir / SEGMENTS_FILE) if (data_dir / SEGMENTS_FILE).is_file() else {}
    source = Path(prompt_dir) if prompt_dir is not None else data_dir
    table = flow_table(source)
    rows = {utt: i for i, utt in enumerate(table.utt_ids)}
    for utt, ids in zip(table.utt_ids, table.columns["speech_tokens"]):
        tts.flow.check_tokens(ids, f"{source / 'speech_tokens'}: {utt}")
    if prompt_dir is None:
        prompts = choose_prompts(table.utt_ids, read_utt2spk(data_dir))
    else:
        prompts = prompts_from_other_dir(list(texts), read_utt2spk(data_dir), table.utt_ids, read_utt2spk(source))
    skipped: dict[str, str] = {u: f"no voice prompt: {why}" for u, why in table.skipped.items() if u in texts}
    items = []
    for utt, text in sorted(texts.items()):
        if prompt_dir is None and utt not in rows:
            skipped.setdefault(
                utt, "no speech tokens, mel or speaker embedding (cstk tokenize, features, embed-speakers)"
            )
            continue
        if prompts[utt] is None:
            skipped[utt] = (
                f"no utterance of its speaker in {source} to take the voice prompt from"
                if prompt_dir
                else "no other utterance of its speaker to take the voice prompt from"
            )
            continue
        try:  # a corpus transcript as it is (no inline tags: its languages are in utt2lang / utt2seg.jsonl)
            if not text.strip():
                raise NothingToSpeakError(f"{utt}: empty text, nothing to say")
            front = tts.check_text(text, utt2lang.get(utt), utt2seg.get(utt), utt)
        except NothingToSpeakError as err:
            skipped[utt] = str(err)
            log.warning("%s: %s (left out)", data_dir / "text", err)
            continue
        items.append((utt, text, utt2seg.get(utt), len(front.units)))
    if not items:
        raise InputFileError(
            data_dir,
            f"no sentence to synthesise ({len(skipped)} left out, e.g. {min(skipped.items()) if skipped else 'none'})",
        )
    n_mels, dim = int(tts.flow.cfg.flow.model.n_mels), int(tts.flow.cfg.flow.model.speaker_dim)
    cache: dict[str, Prompt] = {}

    def prompt_of(utt: str) -> Prompt:
        if utt not in cache:
            i = rows[utt]
            mel = load_features(table.columns["mel"][i], n_mels)
            emb = load_features(table.columns["utt_embed"][i], dim)[0]
            cache[utt] = Prompt(table.columns["speech_tokens"][i], mel, emb)
        return cache[utt]

    chosen = {u: prompt_of(str(prompts[u])) for u, *_ in items}
    info = {
        "kind": KIND,
        "model": str(tts.tts_dir),
        "flow": str(tts.flow_dir),
        "source": str(data_dir.resolve()),
        "prompts_from": str(source.resolve()),
        "seed": seed,
        "skipped": skipped,
    }
    extra = {PROMPTS_FILE: [f"{u} {prompts[u]}" for u, *_ in sorted(items)]}
    langs = {u: utt2lang.get(u) for u, *_ in items}
    return tts._write(data_dir, out_dir, items, chosen, langs, info, extra, seed)


def tts_engine(
    model_dir: str | Path, prompts_from: str | Path, seed: int = 0, flow_dir: str | Path | None = None
) -> Engine:
    """A :func:`~cstoolkit.data.synthetic.make_synthetic_dir` engine speaking through a trained TTS (a ``cstk
    train-t2s`` model directory, through ``flow_dir`` or the flow model its ``t2s.json`` names); each voice prompt
    is an utterance of the same speaker in ``prompts_from`` (as ``cstk synthesize --prompts-from`` picks them).
    Sentences it cannot speak are reported, not spoken."""

    def speak(scripts: list[Script], audio_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
        tts = TextToSpeech.load(model_dir, flow_dir)
        with tempfile.TemporaryDirectory(prefix="cstk-script-") as tmp:
            write_script_dir(scripts, Path(tmp))
            info = synthesize_dir(tts, tmp, audio_dir, seed, prompts_from)
        return read_kaldi_file(audio_dir / "wav.scp"), dict(info.get("skipped", {}))

    return speak
