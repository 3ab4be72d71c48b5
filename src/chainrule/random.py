"""One seeded random generator for the whole library: ``manual_seed`` makes runs repeatable.

Weight initialisation, dropout, data shuffling and ``randn``/``rand`` all draw from it, on the
host: a tensor made with ``device="cuda"`` is drawn here and copied to the GPU, so a seed gives
the same numbers on every device.
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


class Generator:
    """torch.Generator's seeding surface over a NumPy generator, for code that passes one to a
    DataLoader, a sampler or ``random_split``: ``Generator().manual_seed(42)``. The numbers it
    gives differ from torch's for the same seed (another algorithm)."""

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise ValueError(f"Generator: only device='cpu' is supported, got {device!r}")
        self.device = "cpu"
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))._seed


def as_numpy_generator(generator, who):
    """The NumPy generator behind ``generator`` (chainrule's default one for None)."""
    if generator is None:
        return _Default.generator
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{who}: generator must be a chainrule.Generator or numpy.random.Generator, "
                    f"got {type(generator).__name__}")


def randn(*shape, dtype=None, device=None, requires_grad=False):
    from .devices import place
    from .dtypes import default_float
    from .functional import _shape
    from .tensor import Tensor

    data = _Default.generator.standard_normal(_shape(shape, "randn")).astype(default_float(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    from .devices import place
    from .dtypes import default_float
    from .functional import _shape
    from .tensor import Tensor

    data = _Default.generator.random(_shape(shape, "rand")).astype(default_float(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=np.int64, device=None):
    """Random integers in [low, high) (or [0, low) given one bound), from the seeded generator
    (torch.randint)."""
    from .devices import place
    from .functional import _shape
    from .tensor import Tensor

    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    size = _shape(tuple(size) if not isinstance(size, int) else (size,), "randint")
    return Tensor(place(_Default.generator.integers(low, high, size).astype(dtype), device))


def randperm(n, dtype=np.int64, device=None):
    """A random permutation of 0 … n−1, from the seeded generator (torch.randperm)."""
    from .devices import place
    from .functional import _shape
    from .tensor import Tensor

    (n,) = _shape((n,), "randperm")
    return Tensor(place(_Default.generator.permutation(n).astype(dtype), device))


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
