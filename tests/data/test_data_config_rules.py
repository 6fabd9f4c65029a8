"""cstoolkit.config.check_config: the one validation of config values used by prepare, features and units."""

import subprocess
import sys
from pathlib import Path

import pytest

from cstoolkit.config import FLAG, check_config, choice, load_config, number, whole
from cstoolkit.errors import ConfigError

RULES = {"n": whole(1), "ratio": number(0, 1), "kind": choice("a", "b"), "flag": FLAG, "eps": number(0, low_open=True)}
GOOD = {"n": 3, "ratio": 0.5, "kind": "a", "flag": True, "eps": 1e-5}


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("n", "abc", "x.n='abc': expected a whole number >= 1"),
        ("n", 0, "x.n=0"),
        ("n", True, "x.n=True"),
        ("ratio", 2, "x.ratio=2: expected a number >= 0 and <= 1"),
        ("ratio", float("nan"), "x.ratio=nan"),
        ("kind", "c", "x.kind='c': expected one of a, b"),
        ("flag", "yes", "x.flag='yes': expected true or false"),
        ("eps", 0, "x.eps=0: expected a number > 0"),
        ("n", None, "x.n=None"),
    ],
)
def test_each_rule_names_the_key_and_the_allowed_values(key: str, value, expected: str):
    check_config(GOOD, RULES, "x")
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        check_config({**GOOD, key: value}, RULES, "x")


def test_config_in_conf_passes_its_rules():
    from cstoolkit.data.features import RULES as FEATURES
    from cstoolkit.data.prepare import RULES as DATA
    from cstoolkit.text.tokens import RULES as UNITS

    cfg = load_config([])
    check_config(cfg.features, FEATURES, "features")
    check_config(cfg.data, DATA, "data")
    check_config(cfg.units, UNITS, "units")


@pytest.mark.parametrize(
    "override", ["units.spm_vocab_size=abc", "units.spm_model_type=foo", "units.spm_character_coverage=2"]
)
def test_units_cli_bad_values_one_line_exit_2(tmp_path: Path, override: str):
    (tmp_path / "text").write_text("u1 hello world\n")
    cmd = [sys.executable, "-m", "cstoolkit.cli.cstk", "units", "--text", str(tmp_path / "text"), "--out-dir"]
    proc = subprocess.run([*cmd, str(tmp_path / "units"), override], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and override.split("=")[0] in proc.stderr
    assert not (tmp_path / "units").exists()
