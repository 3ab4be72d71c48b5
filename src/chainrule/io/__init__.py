"""Saving and loading files: safetensors without pickle, and writes that are all or nothing."""

from .atomic import atomic_write, atomic_write_bytes, atomic_write_text
from .safetensors import CorruptFileError, load_tensors, save_tensors

__all__ = [
    "CorruptFileError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_tensors",
    "save_tensors",
]
