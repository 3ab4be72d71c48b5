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


def randn(*shape, dtype=np.float32, requires_grad=False):
    from .functional import _shape
    from .tensor import Tensor

    data = _Default.generator.standard_normal(_shape(shape, "randn")).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False):
    from .functional import _shape
    from .tensor import Tensor

    data = _Default.generator.random(_shape(shape, "rand")).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)
