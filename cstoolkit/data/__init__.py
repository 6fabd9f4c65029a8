"""Data: audio I/O, Kaldi dirs, corpora, features, splits; utterance tables and loaders for training."""

from cstoolkit.data.kaldi_dir import Utterance, read_data_dir, write_data_dir
from cstoolkit.data.validate import validate_data_dir

__all__ = ["Utterance", "read_data_dir", "validate_data_dir", "write_data_dir"]
