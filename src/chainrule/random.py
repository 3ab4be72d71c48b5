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


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None):
    """Samples of N(mean, std²) (torch.normal): ``mean`` and ``std`` numbers with a ``size``,
    or tensors, broadcast together, one sample per element. No gradient flows to them."""
    from .devices import device_of, place, to_host
    from .dtypes import default_float
    from .functional import _shape
    from .tensor import Tensor

    rng = as_numpy_generator(generator, "normal")
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    m = to_host(mean.array) if mean_t else np.asarray(mean)
    s = to_host(std.array) if std_t else np.asarray(std)
    if device is None and (mean_t or std_t):
        device = device_of((mean if mean_t else std).array)  # where the tensors are, as torch
    if (s < 0).any():
        raise ValueError(f"normal: std must be at least 0, got {std!r}")
    if size is None:
        if not (mean_t or std_t):
            raise TypeError("normal: with a number for mean and for std, give size too "
                            "(torch.normal(0.0, 1.0, size=(3,)))")
        shape = np.broadcast_shapes(m.shape, s.shape)
        kind = (mean if mean_t else std).array.dtype
        dtype = dtype or (kind if kind.kind == "f" else None)
    else:
        shape = _shape(tuple(size) if not isinstance(size, int) else (size,), "normal")
    dtype = default_float(dtype)
    data = rng.normal(np.asarray(m, np.float64), np.asarray(s, np.float64), shape)
    return Tensor(place(data.astype(dtype), device))


def bernoulli(input, *, generator=None):  # noqa: A002 - torch's argument name
    """1 with probability p, 0 otherwise, for each p in ``input`` (torch.bernoulli); the
    samples have ``input``'s dtype."""
    from .devices import device_of, move, to_host
    from .tensor import Tensor

    p = input.array if isinstance(input, Tensor) else np.asarray(input, np.float64)
    where = device_of(p)
    p = to_host(p)  # drawn on the host from the one generator, as randn is
    if p.dtype.kind != "f":
        raise TypeError(f"bernoulli: the probabilities must be floats, got {p.dtype}")
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise ValueError("bernoulli: every probability must be in [0, 1] (got values "
                         f"from {p.min()} to {p.max()})")
    rng = as_numpy_generator(generator, "bernoulli")
    return Tensor(move((rng.random(p.shape) < p).astype(p.dtype), where))


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """Indices drawn with probability proportional to each row of ``input`` (torch.multinomial):
    1-d weights give ``num_samples`` indices, 2-d ones that many per row. Without
    ``replacement`` an index is drawn at most once, so a row needs that many positive
    weights. The weights need not sum to 1 (sampling the next character of a char-RNN)."""
    from .devices import device_of, move, to_host
    from .tensor import Tensor

    w = input.array if isinstance(input, Tensor) else np.asarray(input, np.float64)
    where = device_of(w)
    w = to_host(w)
    if w.ndim not in (1, 2) or w.shape[-1] == 0:
        raise ValueError(f"multinomial: the weights must be a non-empty 1-d or 2-d tensor, got "
                         f"shape {tuple(w.shape)}")
    if isinstance(num_samples, bool) or int(num_samples) != num_samples or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be a positive integer, got "
                         f"{num_samples!r}")
    num_samples = int(num_samples)
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: the weights must be finite and not negative")
    rng = as_numpy_generator(generator, "multinomial")
    out = np.empty((len(rows), num_samples), np.int64)
    for i, row in enumerate(rows):
        positive = int((row > 0).sum())
        if positive == 0:
            raise ValueError(f"multinomial: row {i} of the weights sums to 0: nothing to draw")
        if not replacement and num_samples > positive:
            raise ValueError(f"multinomial: cannot draw {num_samples} samples without "
                             f"replacement from row {i}, which has {positive} positive weights")
        out[i] = rng.choice(len(row), num_samples, replace=replacement, p=row / row.sum())
    return Tensor(move(out.reshape(w.shape[:-1] + (num_samples,)), where))

