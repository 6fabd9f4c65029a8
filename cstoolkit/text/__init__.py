"""Text handling for code-switched speech (one source of truth): normalisation, Unicode scripts, scoring units
(:mod:`cstoolkit.text.units`, what SAER counts) and model text tokens (:mod:`cstoolkit.text.tokens`, what a model
reads or writes). Speech tokens (quantised speech codes) belong to the speech tokenizer, not here.

The token names load on first use (they need SentencePiece).
"""

from cstoolkit.lazy import lazy_exports
from cstoolkit.text.normalize import NormalizeOptions, normalize
from cstoolkit.text.scripts import UNSPACED_SCRIPTS, script_of_char, script_of_unit
from cstoolkit.text.units import DEFAULT_UNITS, UNIT_MODES, UnitOptions, split_units

__all__ = [
    "DEFAULT_UNITS",
    "UNIT_MODES",
    "UNSPACED_SCRIPTS",
    "NormalizeOptions",
    "TextTokenizer",
    "TextTokensConfig",
    "UnitOptions",
    "build_text_tokens",
    "normalize",
    "script_of_char",
    "script_of_unit",
    "split_units",
]

_TOKENS = "cstoolkit.text.tokens"
__getattr__ = lazy_exports(
    __name__, {name: _TOKENS for name in ("TextTokenizer", "TextTokensConfig", "build_text_tokens")}
)
