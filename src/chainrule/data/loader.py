"""``DataLoader``: a dataset cut into mini-batches, reshuffled every epoch.

Each ``iter(loader)`` is a new epoch with its own iterator object (and its own shuffle order), so
two loops over the same loader never share state.
"""

import math
import numbers

import numpy as np

from .. import random as _random
from ..backend import get_array_module, on_host
from ..tensor import Tensor
from .dataset import array_source


def _to_tensor(values):
    """Stack a list of same-shaped samples along a new first axis."""
    first = values[0]
    if isinstance(first, Tensor):
        arrays = [v.array for v in values]
        return Tensor(get_array_module(arrays[0]).stack(arrays))  # on the samples' device
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(values))
    if isinstance(first, bool):
        return Tensor(np.asarray(values, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(np.asarray(values, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.asarray(values, dtype=np.float32))  # chainrule's float default
    raise TypeError(f"DataLoader cannot batch samples of type {type(first).__name__}; return "
                    f"tensors, arrays, numbers, or tuples/dicts of them from __getitem__")


def collate(samples):
    """Combine samples into a batch: tuples field by field, dicts key by key, the rest stacked."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("DataLoader: samples in one batch have different numbers of fields")
        return tuple(collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: collate([s[k] for s in samples]) for k in first}
    try:
        return _to_tensor(samples)
    except ValueError as e:  # np.stack on ragged samples
        raise ValueError(f"DataLoader: samples in one batch have different shapes ({e})") from None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples, as ``chainrule.Tensor``s.

    ``len(loader)`` is the number of batches. With ``shuffle=True`` the order is drawn from
    ``generator`` (a ``np.random.Generator``), else from a generator seeded once with ``seed``,
    else from chainrule's default generator — so ``cr.manual_seed`` makes runs repeatable.

    Array-backed datasets (``TensorDataset``, or anything with an ``arrays`` attribute, and
    Subsets of them) are batched by slicing the whole arrays at once: a view when unshuffled, one
    gather when shuffled, dtypes unchanged. Other datasets are read sample by sample and collated.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None,
                 seed=None):
        if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give generator or seed, not both")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        try:
            len(dataset)
        except TypeError:
            raise TypeError(f"DataLoader: the dataset must have a length, "
                            f"{type(dataset).__name__} has none") from None
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        # A seed makes one generator for the loader's lifetime: each epoch draws a new order,
        # and the sequence of orders is the same in every run.
        self.generator = np.random.default_rng(seed) if seed is not None else generator

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        if not self.shuffle:
            return None
        rng = self.generator if self.generator is not None else _random.default_generator()
        return rng.permutation(len(self.dataset))

    def __iter__(self):
        return _BatchIterator(self, self._order())

    def __repr__(self):
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)")


class _BatchIterator:
    """One epoch over a DataLoader: yields batches until the samples run out."""

    def __init__(self, loader, order):
        self.loader = loader
        self.order = order  # None: dataset order
        self.source = array_source(loader.dataset)
        self.n_batches = len(loader)
        self.batch = 0

    def __iter__(self):
        return self

    def __len__(self):
        return self.n_batches - self.batch

    def __next__(self):
        if self.batch >= self.n_batches:
            raise StopIteration
        size = self.loader.batch_size
        start = self.batch * size
        stop = min(start + size, len(self.loader.dataset))
        self.batch += 1
        if self.source is not None:
            return self._slice(start, stop)
        ids = range(start, stop) if self.order is None else self.order[start:stop]
        return collate([self.loader.dataset[int(i)] for i in ids])

    def _slice(self, start, stop):
        arrays, rows = self.source
        if self.order is None and rows is None:
            return tuple(Tensor(a[start:stop]) for a in arrays)  # views: no copy at all
        ids = np.arange(start, stop) if self.order is None else self.order[start:stop]
        if rows is not None:
            ids = rows[ids]
        return tuple(Tensor(a[ids if on_host(a) else get_array_module(a).asarray(ids)])
                     for a in arrays)
