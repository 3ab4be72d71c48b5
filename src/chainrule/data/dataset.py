"""Datasets: anything with a length that hands out samples by index.

``TensorDataset`` keeps whole arrays (one row per sample) and exposes them as ``.arrays`` so the
``DataLoader`` can cut a batch with one slice or gather instead of a Python loop over samples.
"""

import numbers

import numpy as np

from ..tensor import Tensor


class Dataset:
    """The protocol: ``len(ds)`` samples, ``ds[i]`` is sample i (usually an ``(x, y)`` pair)."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


def _as_array(x, position):
    if isinstance(x, Tensor):
        return x.array  # shares memory: a dataset view, not a copy
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x) or x is None:
        raise TypeError(f"TensorDataset: argument {position} is a scalar ({x!r}); every "
                        f"argument needs one row per sample")
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)  # Python floats become float32, as in cr.tensor
    return arr


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: ``TensorDataset(X, y)[i] == (X[i], y[i])``.

    Accepts tensors, arrays or lists. Arrays are kept as given (no copy, dtype unchanged).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        arrays = tuple(_as_array(a, i) for i, a in enumerate(arrays))
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-dimensional; every argument "
                                 f"needs one row per sample")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise ValueError(f"TensorDataset: all arrays need the same first dimension (one row "
                             f"per sample), got shapes {shapes}")
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __repr__(self):
        shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


def _check_indices(indices, n, who):
    idx = np.asarray(indices)
    if idx.size == 0:
        return idx.astype(np.int64).reshape(0)
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be a 1-D sequence of integers, got "
                        f"{idx.dtype} with shape {idx.shape}")
    if idx.min() < -n or idx.max() >= n:
        raise IndexError(f"{who}: indices must lie in [{-n}, {n}) for a dataset of {n} "
                         f"samples, got range [{idx.min()}, {idx.max()}]")
    return np.where(idx < 0, idx + n, idx).astype(np.int64)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (nothing is copied)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = _check_indices(indices, len(dataset), "Subset")

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, numbers.Integral):
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def __repr__(self):
        return f"Subset({len(self)} of {len(self.dataset)} samples)"


def array_source(dataset):
    """``(arrays, rows)`` if ``dataset`` is backed by whole arrays, else ``None``.

    ``rows`` maps the dataset's indices to rows of ``arrays`` (``None``: the identity). Any dataset
    with an ``arrays`` attribute qualifies, and so do Subsets of one, except a TensorDataset
    subclass that overrides ``__getitem__``.
    """
    if isinstance(dataset, Subset):
        inner = array_source(dataset.dataset)
        if inner is None:
            return None
        arrays, rows = inner
        return arrays, dataset.indices if rows is None else rows[dataset.indices]
    if isinstance(dataset, TensorDataset) and \
            type(dataset).__getitem__ is not TensorDataset.__getitem__:
        return None  # a subclass that changes its samples (augmentation): ask it for each one
    arrays = getattr(dataset, "arrays", None)
    if isinstance(arrays, (tuple, list)) and arrays and all(
            isinstance(a, np.ndarray) for a in arrays):
        return tuple(arrays), None
    return None


class IterableDataset(Dataset):
    """A stream of samples: define ``__iter__`` (a file read line by line, a generator). The
    DataLoader batches it in the order it yields; samplers and shuffling do not apply."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it, it has "
                        f"no samples by index")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several IterableDatasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d


class ConcatDataset(Dataset):
    """Several datasets one after the other: sample i of the whole is sample i − offset of the
    dataset it falls in."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not take an IterableDataset (use "
                                "ChainDataset)")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if not isinstance(index, numbers.Integral):
            raise TypeError(f"ConcatDataset: index must be an integer, got "
                            f"{type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = int(index) + n if index < 0 else int(index)
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        offset = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - offset]

    def __repr__(self):
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"
