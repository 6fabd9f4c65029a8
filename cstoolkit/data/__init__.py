"""Data preparation: audio I/O, Kaldi data directories, corpora, features, splits (see DESIGN.md)."""

from cstoolkit.data.kaldi_dir import Utterance, read_data_dir, write_data_dir
from cstoolkit.data.validate import validate_data_dir

__all__ = ["Utterance", "read_data_dir", "validate_data_dir", "write_data_dir"]
