"""recipes/switchlingua/run.sh stages 19-23 (TTS): each is one ``cstk`` call whose options the subcommand's parser
accepts, in the order the data flows (a typo in an option name fails here, not after hours of earlier stages)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "recipes" / "switchlingua" / "run.sh"
VARS = {'"$cstk"': "cstk", "$work_dir": "/w", '"${overrides[@]}"': "", '"${asr_trainer[@]}"': "", '"$nj"': "2"}


def stages() -> dict[int, list[str]]:
    """Stage number -> the ``cstk`` argument list of each ``stage N "description" ...`` call of run.sh."""
    text = RUN.read_text().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        match = re.match(r'\s*stage (\d+) "[^"]*" (.*)$', line)
        if match:
            command = match.group(2)
            for name, value in VARS.items():
                command = command.replace(name, value)
            out[int(match.group(1))] = shlex.split(command)
    return out


def test_the_tts_stages_parse_and_chain() -> None:
    from cstoolkit.cli.cstk import build_parser

    found = stages()
    assert re.search(r"^stop_stage=23 ", RUN.read_text(), re.M)
    assert [found[n][1] for n in range(19, 24)] == ["align-units", "train-t2s", "synthesize", "evaluate-tts",
                                                    "tts-samples"]  # fmt: skip
    parser = build_parser()
    args = {n: parser.parse_args(found[n][1:]) for n in range(19, 24)}
    assert args[19].data_dir == ["/w/data/train", "/w/data/dev", "/w/data/test"]
    assert args[20].flow_dir == "/w/exp/flow" and args[20].exp_dir == "/w/exp/tts"
    assert args[21].model == args[20].exp_dir and args[21].data_dir == "/w/data/test"
    assert args[22].synth_dir == [args[21].out_dir] == ["/w/exp/tts/synth_test"]
    assert args[22].judged_dir == ["/w/exp/flow/copysynth_test", "/w/exp/flow/resynth_test"]
    assert args[22].ground_truth == "/w/data/test" and args[22].ground_truth_decode == "/w/exp/asr/decode_test"
    assert (
        args[23].table == args[22].table == "/w/exp/tts/evaluation.json" and args[23].out == "/w/exp/tts/samples.html"
    )
    # the folders judged earlier come from stages 16-17, the reused decode from stage 4
    assert {found[16][found[16].index("--out-dir") + 1], found[17][found[17].index("--out-dir") + 1]} == set(
        args[22].judged_dir
    )
    assert found[4][found[4].index("--out-dir") + 1] == args[22].ground_truth_decode
