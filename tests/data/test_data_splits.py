from cstoolkit.data.splits import disjoint_split


def test_no_speaker_or_group_crosses_splits():
    # 250 source texts read 4 times, each text by one of 40 speakers (unknown for a third of the utterances)
    items = [(f"u{i}", f"s{(i // 4) % 40}" if i % 3 else None, f"g{i // 4}") for i in range(1000)]
    split = disjoint_split(items, 0.1, 0.1, seed=1)
    for key_index in (1, 2):
        owner: dict = {}
        for item in items:
            key = item[key_index]
            if key is None:
                continue
            assert owner.setdefault(key, split[item[0]]) == split[item[0]]
    counts = {s: list(split.values()).count(s) for s in ("train", "dev", "test")}
    assert counts["dev"] > 0 and counts["test"] > 0 and counts["train"] > 600


def test_split_is_deterministic_and_seeded():
    items = [(f"u{i}", None, f"g{i // 2}") for i in range(200)]
    assert disjoint_split(items, 0.1, 0.1, 3) == disjoint_split(items, 0.1, 0.1, 3)
    assert disjoint_split(items, 0.1, 0.1, 3) != disjoint_split(items, 0.1, 0.1, 4)
    split = disjoint_split(items, 0.1, 0.1, 3)
    assert 15 <= sum(v == "test" for v in split.values()) <= 25


def test_component_too_large_for_a_held_out_split_goes_to_train():
    items = [(f"big{i}", "spk", f"g{i}") for i in range(50)] + [(f"u{i}", None, f"h{i}") for i in range(50)]
    split = disjoint_split(items, 0.1, 0.1, seed=0)
    assert {split[f"big{i}"] for i in range(50)} == {"train"}
    assert sum(v == "dev" for v in split.values()) == 10
