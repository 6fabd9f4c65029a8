"""The shared data layer: tables joined by utterance id, items, padding collation, bucketed loaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cstoolkit.data.loader import ItemsDataset, UttDataset, collate_padded, make_loader
from cstoolkit.data.matrices import FeatureDimError
from cstoolkit.data.table import Field, read_table
from cstoolkit.errors import InputFileError

FIELDS = {"mel": Field("mel.scp", "scp"), "text": Field("text"), "ids": Field("token_ids", "ints")}


@pytest.fixture
def mel_dir(tmp_path):
    """Five utterances: a..c usable; d has no text; e's feature file does not exist."""
    lines, shapes = [], []
    for k, utt in enumerate("abcde"):
        path = tmp_path / f"{utt}.npy"
        if utt != "e":
            np.save(path, np.full((3 + k, 4), k, np.float32))
        lines.append(f"{utt} {path}\n")
        shapes.append(f"{utt} {3 + k},4\n")
    (tmp_path / "mel.scp").write_text("".join(lines))
    (tmp_path / "mel_shape").write_text("".join(shapes))
    (tmp_path / "text").write_text("a hello\nb\nc hi there\ne bye\n")
    (tmp_path / "token_ids").write_text("a 1 2\nb 3\nc 4 5 6\nd 7\ne 8\n")
    return tmp_path


def test_table_joins_fields_and_says_why_it_skips(mel_dir) -> None:
    table = read_table(mel_dir, FIELDS, ["mel_shape"], max_length=6, max_length_key="batch.max_frames_per_utt")
    assert table.utt_ids == ["a", "b", "c"] and table.lengths == [3, 4, 5]
    assert table.columns["text"] == ["hello", "", "hi there"] and table.columns["ids"][2] == [4, 5, 6]
    assert table.skipped["d"] == "not in text" and "not found" in table.skipped["e"]
    short = read_table(mel_dir, FIELDS, ["mel_shape"], max_length=4, max_length_key="batch.max_frames_per_utt")
    assert short.skipped["c"] == "5 frames > batch.max_frames_per_utt=4"
    short.keep(lambda i: "no text" if not short.columns["text"][i] else None)
    assert short.utt_ids == ["a"] and short.skipped["b"] == "no text"
    with pytest.raises(InputFileError, match=r"utt2num_frames: missing \(and no feats_shape\)"):
        read_table(mel_dir, FIELDS, ["utt2num_frames", "feats_shape"])
    (mel_dir / "token_ids").write_text("a 1 x\n")
    with pytest.raises(InputFileError, match=r"token_ids:1: expected integers"):
        read_table(mel_dir, FIELDS, ["mel_shape"])


def test_items_collate_into_padded_batches_with_lengths_and_masks(mel_dir) -> None:
    table = read_table(mel_dir, FIELDS, ["mel_shape"])
    dataset = UttDataset(table, dims={"mel": 4}, transform=lambda item: {**item, "mel": item["mel"] * 2})
    batch = collate_padded([dataset[0], dataset[2]], pad_values={"ids": -1}, masks=["mel"])
    assert batch.utts == ["a", "c"] and batch.size == 2 and not batch.empty
    assert batch["mel"].shape == (2, 5, 4) and batch["mel_lengths"].tolist() == [3, 5]
    assert batch["mel_mask"].tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    assert float(batch["mel"][1, 0, 0]) == 4.0  # the transform ran (2 * 2)
    assert batch["ids"].tolist() == [[1, 2, -1], [4, 5, 6]] and batch["text"] == ["hello", "hi there"]


def test_unreadable_items_are_reported_unless_fatal(mel_dir) -> None:
    (mel_dir / "b.npy").write_bytes(b"garbage")
    table = read_table(mel_dir, FIELDS, ["mel_shape"])
    seen = []
    item = UttDataset(table, on_corrupt=lambda utt, why: seen.append(utt))[1]
    assert item["utt"] == "b" and "cannot read" in item["corrupt"] and seen == ["b"]
    batch = collate_padded([item])
    assert batch.empty and list(batch.corrupt) == ["b"]
    with pytest.raises(FeatureDimError):
        UttDataset(table, dims={"mel": 80}, fatal=(FeatureDimError,))[0]
    with pytest.raises(InputFileError, match=r"mel.scp: .*4-dim features.*\(model.dim\)"):
        table.check_dim("mel", 80, "model.dim")


def test_one_loader_batches_every_item_once_by_length() -> None:
    items = [{"utt": str(k), "x": torch.zeros(n, 2)} for k, n in enumerate([5, 1, 9, 3, 7])]
    loader = make_loader(ItemsDataset(items, "x"), max_frames=10)
    batches = list(loader)
    assert sorted(u for b in batches for u in b.utts) == ["0", "1", "2", "3", "4"]
    assert all(b["x"].shape[0] * b["x"].shape[1] <= 10 or b.size == 1 for b in batches)
    assert batches[0].utts == ["1", "3"]  # shortest first, within the frame budget


def _copy_dir(root, value: float, utts: str, extra: int = 0):
    """An augmented copy: the same utterance ids, matrices filled with ``value``, ``extra`` frames longer."""
    root.mkdir()
    lines, shapes = [], []
    for k, utt in enumerate(utts):
        np.save(root / f"{utt}.npy", np.full((3 + k + extra, 4), value, np.float32))
        lines.append(f"{utt} {root / f'{utt}.npy'}\n")
        shapes.append(f"{utt} {3 + k + extra},4\n")
    (root / "mel.scp").write_text("".join(lines))
    (root / "mel_shape").write_text("".join(shapes))
    return root


def test_variants_one_version_per_item_and_epoch(mel_dir, tmp_path) -> None:
    from cstoolkit.data.table import add_variants

    table = read_table(mel_dir, {"mel": FIELDS["mel"]}, ["mel_shape"])  # a, b, c, d (e has no file)
    copies = [_copy_dir(tmp_path / "copy1", 100.0, "abcd", extra=2), _copy_dir(tmp_path / "copy2", 200.0, "ab")]
    assert add_variants(table, "mel", copies, ["mel_shape"]) == 6
    assert table.lengths == [5, 6, 7, 8]  # the longest version counts for the frame budget
    dataset = UttDataset(table, dims={"mel": 4})
    assert dataset.variant_counts == [3, 3, 2, 2]
    loader = make_loader(dataset, max_frames=100, shuffle=True, seed=3)
    seen = []
    for epoch in range(6):
        loader.batch_sampler.set_epoch(epoch)
        versions = {}
        for batch in loader:
            for utt, mel, n in zip(batch.utts, batch["mel"], batch["mel_lengths"]):
                versions[utt] = float(mel[0, 0])
                assert int(n) == {0.0: 3, 1.0: 4, 2.0: 5, 3.0: 6, 100.0: 5 + "abcd".index(utt)}.get(
                    float(mel[0, 0]), 3 + "abcd".index(utt)
                )
        assert sorted(versions) == ["a", "b", "c", "d"]  # every item once per epoch
        assert versions["c"] in (2.0, 100.0) and versions["d"] in (3.0, 100.0)  # c, d have no copy2
        seen.append(versions)
    assert len({tuple(v.values()) for v in seen}) > 1  # the versions change between epochs
    assert {v["a"] for v in seen} <= {0.0, 100.0, 200.0}
    again = make_loader(dataset, max_frames=100, shuffle=True, seed=3)
    again.batch_sampler.set_epoch(5)
    assert {u: float(m[0, 0]) for b in again for u, m in zip(b.utts, b["mel"])} == seen[5]  # seeded
