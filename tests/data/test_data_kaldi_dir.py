from pathlib import Path

import pytest

from cstoolkit.data.kaldi_dir import Utterance, read_data_dir, read_kaldi_file, write_data_dir
from cstoolkit.errors import InputFileError


def utts(flac_files: list[Path]) -> list[Utterance]:
    segs = [
        [{"lang": "zh", "text": "我今天去"}, {"lang": "en", "text": "shopping mall"}],
        [{"lang": "en", "text": "hi"}],
    ]
    return [
        Utterance(
            f"spkB_{i}",
            "spkB",
            str(p.resolve()),
            "我今天去 shopping mall" if i % 2 == 0 else "hi",
            "zh-en",
            1.0 + i,
            segs[i % 2],
            {"corpus": "t"},
        )
        for i, p in enumerate(flac_files)
    ] + [Utterance("spkA_x", "spkA", str(flac_files[0].resolve()), "hi", "zh-en", 1.0, segs[1])]


def test_round_trip_sorted_and_complete(tmp_path: Path, flac_files):
    out = write_data_dir(tmp_path / "train", utts(flac_files))
    lines = (out / "wav.scp").read_text().splitlines()
    assert [line.split()[0] for line in lines] == sorted(line.split()[0] for line in lines)
    assert (out / "spk2utt").read_text() == "spkA spkA_x\nspkB spkB_0 spkB_1 spkB_2\n"
    back = read_data_dir(out)
    assert [u.id for u in back] == ["spkA_x", "spkB_0", "spkB_1", "spkB_2"]
    assert back[1].segments[0] == {"lang": "zh", "text": "我今天去"} and back[1].meta == {"corpus": "t"}
    assert back[1].text == "我今天去 shopping mall"


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(id="x_1"), "not prefixed"),
        (dict(audio="rel/a.flac"), "not absolute"),
        (dict(text="  "), "empty"),
        (dict(segments=[{"lang": "en", "text": "other"}]), "do not spell"),
    ],
)
def test_bad_utterances_are_refused(tmp_path: Path, flac_files, change, message):
    items = utts(flac_files)
    for key, value in change.items():
        setattr(items[0], key, value)
    with pytest.raises(ValueError, match=message):
        write_data_dir(tmp_path / "d", items)
    assert not (tmp_path / "d").exists()


def test_duplicate_ids_are_refused(tmp_path: Path, flac_files):
    items = utts(flac_files)
    with pytest.raises(ValueError, match="duplicate"):
        write_data_dir(tmp_path / "d", [*items, items[0]])


def test_read_kaldi_file_names_file_and_line(tmp_path: Path):
    path = tmp_path / "text"
    path.write_text("a x\nb\n")
    with pytest.raises(InputFileError, match=r"text:2: expected"):
        read_kaldi_file(path)
    path.write_text("a x\na y\n")
    with pytest.raises(InputFileError, match=r"text:2: key a appears twice"):
        read_kaldi_file(path)


def test_rewriting_identical_content_keeps_the_folder(tmp_path: Path, flac_files):
    out = write_data_dir(tmp_path / "train", utts(flac_files))
    (out / "feats.scp").write_text("kept\n")
    write_data_dir(tmp_path / "train", utts(flac_files))
    assert (out / "feats.scp").read_text() == "kept\n"
    changed = utts(flac_files)
    changed[0].text = "hi"
    changed[0].segments = [{"lang": "en", "text": "hi"}]
    write_data_dir(tmp_path / "train", changed)
    assert not (out / "feats.scp").exists() and "spkB_0 hi\n" in (out / "text").read_text()


def test_a_split_failing_its_check_never_replaces_the_old_one(tmp_path: Path, flac_files):
    path = write_data_dir(tmp_path / "train", utts(flac_files))
    before = {p.name: p.read_bytes() for p in path.iterdir()}

    def refuse(folder: Path) -> None:
        assert (folder / "wav.scp").is_file()
        raise RuntimeError("invalid")

    with pytest.raises(RuntimeError, match="invalid"):
        write_data_dir(tmp_path / "train", utts(flac_files)[:2], check=refuse)
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audio", "train"]


def test_jsonl_table_by_id_names_the_bad_line(tmp_path) -> None:
    from cstoolkit.data.kaldi_dir import read_jsonl_table

    path = tmp_path / "manifest.jsonl"
    path.write_text('{"id": "a", "frame": "f1"}\n\n{"id": "b"}\n')
    assert read_jsonl_table(path) == {"a": {"id": "a", "frame": "f1"}, "b": {"id": "b"}}
    path.write_text('{"id": "a"}\n{"no_id": 1}\n')
    with pytest.raises(InputFileError, match=r"manifest\.jsonl:2: bad JSON line"):
        read_jsonl_table(path)
    path.write_text('{"id": "a"}\n{"id": "a"}\n')
    with pytest.raises(InputFileError, match="appears twice"):
        read_jsonl_table(path)
