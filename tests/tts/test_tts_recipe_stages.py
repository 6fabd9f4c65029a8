"""recipes/switchlingua/run.sh stages 19-23 (TTS): each is one ``cstk`` call whose options the subcommand's parser
accepts, in the order the data flows (a typo in an option name fails here, not after hours of earlier stages)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "recipes" / "switchlingua" / "run.sh"
VARS = {
    '"$cstk"': "cstk",
    "$work_dir": "/w",
    '"${overrides[@]}"': "",
    '"${train_opts[@]}"': "",
    '"$ar_model"': "t2s=ar_cpu",
    '"$nj"': "2",
    '"$corpus_pairs"': "zh-en,es-en",
    '"$aug_per_pair"': "30",
    '"${held_out[@]/--held-out/--exclude}"': "--exclude /w/data/dev --exclude /w/data/test",
    '"${aug_train_opts[@]}"': "asr.train.max_epochs=5 --init-from /w/exp/asr",
}
#: stages written out in run.sh (31-44 are made by its augmented_asr function; the recipe tests run them)
LISTED = [*range(31), 45, 46, 47]


def stages(eval_splits: tuple[str, ...] = ("test",)) -> dict[int, list[str]]:
    """Stage number -> the ``cstk`` argument list of each ``stage N "description" ...`` call of run.sh, with the
    ``eval_pairs``/``eval_data`` option lists expanded for ``eval_splits`` and, of the ``if test_novel ... else``
    branches, the one those splits take."""
    text = RUN.read_text().replace("\\\n", " ")
    out: dict[int, list[str]] = {}
    pairs = ""
    branch = None  # None: outside the test_novel if/else; True/False: inside the taken/other branch
    novel = "test_novel" in eval_splits
    for line in text.splitlines():
        if re.match(r"\s*if \[\[ .*test_novel", line):
            branch = novel
            continue
        if branch is not None and re.match(r"\s*else\b", line):
            branch = not novel
            continue
        if branch is not None and re.match(r"\s*fi\b", line):
            branch = None
            continue
        if branch is False:
            continue
        call = re.match(r"\s*eval_(pairs|data) (.*)$", line)
        if call:
            words = [w.replace("$work_dir", "/w") for w in shlex.split(call.group(2))]
            if call.group(1) == "pairs":
                pairs = " ".join(f"--data-dir /w/data/{s} --out-dir {words[0]}{s}" for s in eval_splits)
            else:
                pairs = " ".join(f"--data-dir /w/data/{s}" for s in (*words, *eval_splits))
            continue
        match = re.match(r'\s*stage (\d+) "[^"]*" (.*)$', line)
        if match:
            command = match.group(2).replace('"${pairs[@]}"', pairs)
            for name, value in VARS.items():
                command = command.replace(name, value)
            out[int(match.group(1))] = shlex.split(command)
    return out


def test_the_tts_stages_parse_and_chain() -> None:
    from cstoolkit.cli.cstk import build_parser

    found = stages()
    assert re.search(r"^stop_stage=26 ", RUN.read_text(), re.M)
    assert [found[n][1] for n in range(19, 24)] == [
        "align-units",
        "train-t2s",
        "synthesize",
        "evaluate-tts",
        "tts-samples",
    ]
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


def test_every_stage_parses_and_the_new_sentence_and_ar_stages_chain() -> None:
    from cstoolkit.cli.cstk import build_parser

    found = stages()
    assert sorted(found) == LISTED
    parser = build_parser()
    # a typo in any option fails here (47 is a loop over two compare-asr calls in bash -c)
    args = {n: parser.parse_args(cmd[1:]) for n, cmd in found.items() if n != 47}
    assert [found[n][1] for n in range(24, 30)] == [
        "novel-sentences",
        "synthesize",
        "evaluate-tts",
        "train-t2s",
        "synthesize",
        "evaluate-tts",
    ]
    assert args[24].exclude == ["/w/data/dev", "/w/data/test"] and args[24].speakers_from == "/w/data/test"
    assert args[25].data_dir == args[24].out_dir and args[25].prompts_from == "/w/data/test"
    assert args[26].synth_dir == [args[25].out_dir] and args[26].asr_dir == "/w/exp/asr"
    assert "t2s=ar_cpu" in args[27].overrides and args[27].exp_dir == args[28].model == "/w/exp/tts_ar"
    assert args[29].synth_dir == [args[28].out_dir] and args[29].judged_dir == [args[21].out_dir]
    assert args[30].exclude == ["/w/data/train", "/w/data/dev", "/w/data/test"] and args[30].pairs == "zh-en,es-en"
    assert args[45].init_from == "/w/exp/asr" and args[45].exp_dir == args[46].model_dir == "/w/exp/asr_real"


def test_side_lanes_hold_only_stages_that_need_nothing_the_main_lane_makes_before_the_join() -> None:
    """Each side lane's function is started before, and joined after, the main-lane stages named here."""
    text = RUN.read_text()
    lanes = re.findall(r'^side_lane (\w+) "([\d ]+)"$', text, re.M)
    assert lanes == [
        ("data_only_stages", "5 6 7 9 14"),
        ("asr_robustness_stages", "8 16"),
        ("flow_judging_stages", "17 18"),
    ]
    for name, numbers in lanes:
        body = re.search(rf"^{name}\(\) {{\n(.*?)^}}", text, re.M | re.S).group(1)
        assert sorted(map(int, re.findall(r'^  stage (\d+) "', body, re.M))) == sorted(map(int, numbers.split()))
    order = [line for line in text.splitlines() if line.startswith(("side_lane ", "join_side_lane", "stage "))]
    marks = [line.split('"')[0].strip() for line in order]
    assert marks[marks.index("side_lane data_only_stages") + 1 : marks.index("join_side_lane")] == [
        "stage 3",
        "stage 4",
    ]


def test_with_test_novel_every_evaluation_stage_covers_it_and_stages_24_26_judge_it() -> None:
    from cstoolkit.cli.cstk import build_parser

    found = stages(("test", "test_novel"))
    assert sorted(found) == LISTED
    parser = build_parser()
    args = {n: parser.parse_args(cmd[1:]) for n, cmd in found.items() if n != 47}
    for n, prefix in ((4, "/w/exp/asr/decode_"), (11, "/w/exp/tokenizer/decode_"), (16, "/w/exp/flow/copysynth_")):
        assert args[n].data_dir == ["/w/data/test", "/w/data/test_novel"], n
        assert args[n].out_dir == [f"{prefix}test", f"{prefix}test_novel"], n
    assert args[17].out_dir == ["/w/exp/flow/resynth_test", "/w/exp/flow/resynth_test_novel"]
    for n in (12, 14):
        assert args[n].data_dir[-2:] == ["/w/data/test", "/w/data/test_novel"], n
    assert [found[n][1] for n in range(24, 27)] == ["synthesize", "evaluate-tts", "tts-samples"]
    assert args[24].data_dir == "/w/data/test_novel" and args[24].model == "/w/exp/tts"
    assert args[25].ground_truth == args[25].data_dir == "/w/data/test_novel"
    assert args[25].ground_truth_decode == args[4].out_dir[1]
    assert args[25].synth_dir == [args[16].out_dir[1], args[17].out_dir[1], args[24].out_dir]
    assert args[26].table == args[25].table == "/w/exp/tts/novel_evaluation.json"
