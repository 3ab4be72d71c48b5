"""Saving and loading files: safetensors without pickle, writes that are all or nothing, and
readers that refuse a bad file by name (``CorruptFileError``) before allocating what it claims."""

from .atomic import atomic_write, atomic_write_bytes, atomic_write_text
from .csv_rows import read_rows
from .errors import CorruptFileError
from .safetensors import load_tensors, save_tensors

__all__ = [
    "CorruptFileError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_tensors",
    "read_rows",
    "save_tensors",
]
