"""Which array library holds the numbers.

Ops never write ``np.`` for their math: they ask the data for its array module, so the same op runs
on NumPy arrays today and on CuPy (CUDA) arrays once a GPU backend is added, as in DeZero's
``get_array_module``. CuPy is never imported unless a CuPy array is actually handed to us.
"""

import sys

import numpy as np


def get_array_module(array):
    """Return the module (``numpy`` or ``cupy``) that owns ``array``."""
    if type(array) is np.ndarray or not hasattr(array, "__cuda_array_interface__"):
        return np
    import cupy  # only reached with a GPU array in hand (devices.move made it)

    return cupy


def on_host(array) -> bool:
    """True for an array in main memory (NumPy's), False for one on a GPU.

    Checks that read values back (are the class indices in range? are these probabilities?)
    run on the host only: on a GPU each would stop the GPU's queue of work to copy a number
    back, at every step. torch checks those there inside its kernels, which a NumPy-style
    library cannot; with CuPy an index out of range is not reported.
    """
    return type(array) is np.ndarray or get_array_module(array) is np


def is_floating(dtype) -> bool:
    """True for the dtypes gradients are defined for."""
    return np.dtype(dtype).kind == "f"


_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_ones_cache = {}


def sum_rows(matrix):
    """Σ over the rows of a 2-D array (``matrix.sum(axis=0)``), computed as ones · matrix.

    Summing down the columns of a row-major array makes NumPy stride through memory; BLAS's
    matrix-vector product reads the rows in order and is 1.2–5x faster at the sizes of a bias
    gradient, with no loss of accuracy (``benchmarks/blas_products.py``). Other dtypes and
    array types take the plain sum.
    """
    if type(matrix) is not np.ndarray or matrix.dtype not in _BLAS_DTYPES or matrix.ndim != 2:
        return matrix.sum(axis=0)
    key = (matrix.shape[0], matrix.dtype)
    ones = _ones_cache.get(key)
    if ones is None:
        if len(_ones_cache) >= 64:  # many batch sizes (e.g. a last, smaller batch): stay small
            _ones_cache.clear()
        ones = _ones_cache[key] = np.ones(matrix.shape[0], matrix.dtype)
        ones.flags.writeable = False
    return ones @ matrix


_getrefcount = sys.getrefcount


def unshared(array, holders):
    """True when nobody but the caller's ``holders`` known references holds ``array`` (and it
    owns its memory): then the caller may keep, move or write into it and no one can tell.

    Pass the array as a local variable and count that variable among the holders: the engine's
    ``unshared(g, 2)`` is the tuple ``backward`` returned plus its local ``g``; the optimizer's
    ``unshared(data, 2)`` is the parameter's ``.array`` slot plus a local. torch's AccumulateGrad
    makes the same check before it keeps a gradient without copying.
    """
    return array.base is None and _getrefcount(array) - _CALL_REFERENCES <= holders


def _references_seen_in_a_call():
    """How many references a call shaped like ``unshared(local, n)`` adds to what it counts:
    measured once, not assumed, since Python versions count the call's own references
    differently."""
    def seen(array, holders):
        return _getrefcount(array)

    array = np.empty(1)  # one holder: this local
    return seen(array, 1) - 1


_CALL_REFERENCES = _references_seen_in_a_call()
