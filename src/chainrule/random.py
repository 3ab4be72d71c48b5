"""One seeded random generator for the whole library: ``manual_seed`` makes runs repeatable.

Weight initialisation, dropout, data shuffling and ``randn``/``rand`` all draw from it.
"""

import numpy as np


class _Default:
    generator = np.random.default_rng()


def manual_seed(seed: int):
    """Seed chainrule's generator (torch's name); returns the generator."""
    _Default.generator = np.random.default_rng(seed)
    return _Default.generator


def default_generator() -> np.random.Generator:
    return _Default.generator


def randn(*shape, dtype=None, requires_grad=False):
    from .dtypes import default_float
    from .functional import _shape
    from .tensor import Tensor

    data = _Default.generator.standard_normal(_shape(shape, "randn")).astype(default_float(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    from .dtypes import default_float
    from .functional import _shape
    from .tensor import Tensor

    data = _Default.generator.random(_shape(shape, "rand")).astype(default_float(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=np.int64):
    """Random integers in [low, high) (or [0, low) given one bound), from the seeded generator
    (torch.randint)."""
    from .functional import _shape
    from .tensor import Tensor

    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    size = _shape(tuple(size) if not isinstance(size, int) else (size,), "randint")
    return Tensor(_Default.generator.integers(low, high, size).astype(dtype))


def randperm(n, dtype=np.int64):
    """A random permutation of 0 … n−1, from the seeded generator (torch.randperm)."""
    from .functional import _shape
    from .tensor import Tensor

    (n,) = _shape((n,), "randperm")
    return Tensor(_Default.generator.permutation(n).astype(dtype))


def _like(op, t, dtype):
    """The shape and float dtype of a random tensor like ``t``."""
    from .tensor import Tensor

    arr = t.array if isinstance(t, Tensor) else np.asarray(t)
    dtype = np.dtype(arr.dtype if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}: random draws need a floating point dtype, got {dtype}")
    return arr.shape, dtype


def rand_like(t, dtype=None, requires_grad=False):
    """Uniform draws on [0, 1) of ``t``'s shape and dtype (torch.rand_like)."""
    shape, dtype = _like("rand_like", t, dtype)
    return rand(shape, dtype=dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    """Standard normal draws of ``t``'s shape and dtype (torch.randn_like)."""
    shape, dtype = _like("randn_like", t, dtype)
    return randn(shape, dtype=dtype, requires_grad=requires_grad)
