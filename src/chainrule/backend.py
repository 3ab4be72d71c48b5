"""Which array library holds the numbers.

Ops never write ``np.`` for their math: they ask the data for its array module, so the same op runs
on NumPy arrays today and on CuPy (CUDA) arrays once a GPU backend is added, as in DeZero's
``get_array_module``. CuPy is never imported unless a CuPy array is actually handed to us.
"""

import numpy as np


def get_array_module(array):
    """Return the module (``numpy`` or ``cupy``) that owns ``array``."""
    if type(array) is np.ndarray or not hasattr(array, "__cuda_array_interface__"):
        return np
    import cupy  # only reached with a GPU array in hand

    return cupy


def is_floating(dtype) -> bool:
    """True for the dtypes gradients are defined for."""
    return np.dtype(dtype).kind == "f"
