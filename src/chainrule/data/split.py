"""Splitting data into training and test (or validation) parts.

``random_split`` works on datasets and returns Subsets (torch's name); ``train_test_split`` works
on arrays and returns arrays (scikit-learn's name), optionally keeping class proportions.
"""

import math
import numbers

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .dataset import Subset


def _rng(generator, seed, who):
    if generator is not None and seed is not None:
        raise ValueError(f"{who}: give generator or seed, not both")
    if seed is not None:
        return np.random.default_rng(seed)
    return _random.as_numpy_generator(generator, who)


def _split_sizes(n, lengths):
    """Turn ``lengths`` (counts summing to n, or fractions summing to 1) into counts."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths):
        if any(x < 0 for x in lengths) or sum(lengths) != n:
            raise ValueError(f"random_split: lengths {lengths} must be non-negative and sum to "
                             f"the dataset's {n} samples")
        return [int(x) for x in lengths]
    fractions = [float(x) for x in lengths]
    if any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"random_split: fractions {lengths} must be non-negative and sum to 1 "
                         f"(or give integer lengths summing to {n})")
    sizes = [math.floor(n * f) for f in fractions]
    # The samples floor() left over go one each to the first parts, so no sample is dropped.
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(dataset, lengths, generator=None, seed=None):
    """Shuffle ``dataset`` and cut it into non-overlapping Subsets of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1.
    """
    n = len(dataset)
    sizes = _split_sizes(n, lengths)
    order = _rng(generator, seed, "random_split").permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _n_test(n, test_size):
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0.0 < test_size < 1.0:
        n_test = math.ceil(n * test_size)  # scikit-learn rounds the test part up
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a sample "
                         f"count, got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: test_size={test_size!r} leaves no data on one side "
                         f"of {n} samples")
    return n_test


def _array(x, name):
    arr = x.array if isinstance(x, Tensor) else np.asarray(x)
    if arr.ndim == 0:
        raise ValueError(f"train_test_split: {name} is a scalar; it needs one row per sample")
    return arr


def _stratified_test_rows(labels, n_test, rng):
    """Pick ``n_test`` rows so each class is in the test part in its overall proportion."""
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = np.bincount(inverse)
    if counts.min() < 2:
        rare = classes[counts.argmin()]
        raise ValueError(f"train_test_split: class {rare} has only {counts.min()} sample; "
                         f"stratify needs at least 2 per class")
    exact = counts * n_test / len(labels)
    take = np.floor(exact).astype(np.int64)
    # Hand the rows that rounding down left over to the classes that lost the most.
    leftover = n_test - take.sum()
    take[np.argsort(-(exact - take), kind="stable")[:leftover]] += 1
    rows = [rng.permutation(np.flatnonzero(inverse == c))[:k] for c, k in enumerate(take)]
    return rng.permutation(np.concatenate(rows))


def train_test_split(X, y, test_size=0.3, shuffle=True, stratify=None, seed=None):
    """Split ``X`` and ``y`` into ``(X_train, X_test, y_train, y_test)`` arrays.

    ``test_size`` is a fraction or a count. ``stratify`` (usually ``y``) keeps each class's share
    the same in both parts. With ``shuffle=False`` the test part is the last rows, in order.
    """
    X, y = _array(X, "X"), _array(y, "y")
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X and y need the same number of rows, got shapes "
                         f"{X.shape} and {y.shape}")
    n = len(X)
    n_test = _n_test(n, test_size)
    if stratify is not None:
        if not shuffle:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        labels = _array(stratify, "stratify")
        if len(labels) != n:
            raise ValueError(f"train_test_split: stratify has {len(labels)} labels for {n} rows")
        rng = np.random.default_rng(seed) if seed is not None else _random.default_generator()
        test = _stratified_test_rows(labels, n_test, rng)
        in_test = np.zeros(n, dtype=bool)
        in_test[test] = True
        train = rng.permutation(np.flatnonzero(~in_test))
    elif shuffle:
        rng = np.random.default_rng(seed) if seed is not None else _random.default_generator()
        order = rng.permutation(n)
        train, test = order[: n - n_test], order[n - n_test:]
    else:
        return X[: n - n_test], X[n - n_test:], y[: n - n_test], y[n - n_test:]
    return X[train], X[test], y[train], y[test]
