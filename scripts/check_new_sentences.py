#!/usr/bin/env python
"""How well can the CS-ASR read new sentences at all? espeak-ng speaks them the way the demo corpus was made.

The recipe's stages 24-26 judge the TTS on new sentences (``cstk novel-sentences``) with the CS-ASR; this script
renders the same sentences with espeak-ng in the demo voices of their test speakers (``data.mini`` config, as
``cstk prepare`` does), decodes them with the same CS-ASR and prints both MERs side by side: the espeak-ng row is
the judge's own limit on those sentences, the TTS row what the TTS adds. Demo corpus only (its speakers are espeak
voices).

    .venv/bin/python scripts/check_new_sentences.py --work-dir recipes/switchlingua
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--work-dir", required=True, help="recipe work dir (data/test_novel, exp/asr, exp/tts/synth_novel)")
    p.add_argument("--method", choices=("beam", "greedy"), default="beam")
    args = p.parse_args(argv)

    from cstoolkit import saer
    from cstoolkit.asr.inference import load_asr, transcribe
    from cstoolkit.config import load_config
    from cstoolkit.data.corpora.mini import Sentence, SynthJob, synthesize
    from cstoolkit.data.kaldi_dir import read_kaldi_file, read_segments
    from cstoolkit.data.prepare import corpus_config

    work = Path(args.work_dir)
    novel = work / "data" / "test_novel"
    mini = corpus_config(load_config([]).data, "mini")
    voices = {s["id"]: s for split in mini["speakers"].values() for s in split}
    texts = read_kaldi_file(novel / "text")
    segments, speakers = read_segments(novel / "utt2seg.jsonl"), read_kaldi_file(novel / "utt2spk")
    langs = read_kaldi_file(novel / "utt2lang")
    utts = sorted(texts)
    unknown = sorted({speakers[u] for u in utts} - set(voices))
    if unknown:
        print(f"{novel / 'utt2spk'}: speakers {unknown} are not demo-corpus voices", file=sys.stderr)
        return 2
    asr = load_asr(str(work / "exp" / "asr"), "cpu")
    refs = [texts[u] for u in utts]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for utt in utts:
            sentence = Sentence(langs[utt], utt, tuple((s["lang"], s["text"]) for s in segments[utt]), frozenset())
            path = Path(tmp) / f"{utt}.{mini['audio_format']}"
            paths.append(synthesize(SynthJob(utt, dict(voices[speakers[utt]]), sentence, str(path)), mini).audio)
        rows["espeak-ng"] = transcribe(paths, asr, args.method)
    synth = work / "exp" / "tts" / "synth_novel" / "wav.scp"
    if synth.is_file():
        wavs = read_kaldi_file(synth)
        rows["TTS"] = transcribe([wavs[u] for u in utts], asr, args.method)
    for name, hyps in rows.items():
        r = saer(refs, [h or "" for h in hyps], lam=1.0)
        print(
            json.dumps(
                {
                    "audio": name,
                    "utterances": len(refs),
                    "mer": round(r.form_error, 4),
                    "S": r.substitutions,
                    "D": r.deletions,
                    "I": r.insertions,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
