"""Code-switched text: sentences of a matrix language mixed with English, for the 11 SwitchLingua pairs.

Each pair has a grammar of sentence frames (``frames/<pair>.yaml``, English clauses in ``frames/en.yaml``) and a
bilingual lexicon by category (``lexicons/<pair>.yaml``); the languages' scripts and word orders are in
``languages.yaml``. Three switch kinds (Muysken): ``insertion`` (an English word or phrase in a matrix-language
frame), ``alternation`` (a switch at a clause boundary) and ``congruent`` lexicalisation (constituents of a word
order both languages share, each from either language; only pairs whose basic word orders agree). See
:mod:`cstoolkit.text.generate.grammar` for the frame language and :mod:`cstoolkit.text.generate.measure` for how
units, switch points and the code-mixing index are counted.

    from cstoolkit.text.generate import Settings, generate, read_exclude, write_output

    result = generate(Settings(pairs=("zh-en", "es-en"), per_pair=50, seed=1, exclude=read_exclude(["data/test/text"])))
    for s in result.sentences:
        s.id, s.pair, s.kind, s.segments, s.switch_points, s.cmi
    write_output("out", result)

External generators (:func:`run_command`, :func:`collect_lines`) print JSON lines that pass the same checks.
"""

from cstoolkit.text.generate.data import KINDS, available_pairs, languages
from cstoolkit.text.generate.external import collect_lines, infer_kind, run_command
from cstoolkit.text.generate.generator import Result, Sentence, Settings, applicable_kinds, generate
from cstoolkit.text.generate.grammar import Grammar, load_grammar
from cstoolkit.text.generate.measure import (
    Analysis,
    SentenceRejected,
    analyse,
    code_mixing_index,
    sentence_key,
)
from cstoolkit.text.generate.output import distinct_units, read_exclude, summarize, write_output

__all__ = [
    "KINDS",
    "Analysis",
    "Grammar",
    "Result",
    "Sentence",
    "SentenceRejected",
    "Settings",
    "analyse",
    "applicable_kinds",
    "available_pairs",
    "code_mixing_index",
    "collect_lines",
    "distinct_units",
    "generate",
    "infer_kind",
    "languages",
    "load_grammar",
    "read_exclude",
    "run_command",
    "sentence_key",
    "summarize",
    "write_output",
]
