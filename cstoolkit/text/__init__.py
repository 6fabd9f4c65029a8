"""Text handling for code-switched speech: normalisation, Unicode scripts, unit splitting (one source of truth)."""

from cstoolkit.text.normalize import NormalizeOptions, normalize
from cstoolkit.text.scripts import UNSPACED_SCRIPTS, script_of_char, script_of_unit
from cstoolkit.text.units import DEFAULT_UNITS, UNIT_MODES, UnitOptions, split_units

__all__ = [
    "DEFAULT_UNITS",
    "UNIT_MODES",
    "UNSPACED_SCRIPTS",
    "NormalizeOptions",
    "UnitOptions",
    "normalize",
    "script_of_char",
    "script_of_unit",
    "split_units",
]
