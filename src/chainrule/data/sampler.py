"""Samplers: the order in which a DataLoader visits a dataset's indices (torch.utils.data's).

A sampler is any iterable of sample indices; a batch sampler is any iterable of lists of them.
Random samplers draw from a ``generator`` (a ``chainrule.Generator`` or ``numpy.random.Generator``)
or, without one, from chainrule's default generator, so ``cr.manual_seed`` makes them repeatable.
The numbers differ from torch's for the same seed (another random number generator); the
contracts (what is drawn, how often, with or without replacement) are torch's.
"""

import numbers

import numpy as np

from .. import random as _random


def _positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


class Sampler:
    """The protocol: ``iter(sampler)`` yields indices; ``len(sampler)`` counts them if it can."""

    def __init__(self, data_source=None):
        pass  # torch's signature; the base class keeps nothing

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) − 1, every epoch."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _order(self):
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order every epoch; with ``replacement=True``, ``num_samples`` draws with
    replacement instead (each index equally likely)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be True or False, got "
                            f"{replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = (None if num_samples is None else
                             _positive_int(num_samples, "num_samples", "RandomSampler"))
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _order(self):
        rng = _random.as_numpy_generator(self.generator, "RandomSampler")
        n = len(self.data_source)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples)
        # Without replacement, torch repeats whole permutations when asked for more than n.
        rounds = -(-self.num_samples // n) if n else 0
        order = np.concatenate([rng.permutation(n) for _ in range(rounds)] or [np.arange(0)])
        return order[: self.num_samples]

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order every epoch (e.g. a validation part)."""

    def __init__(self, indices, generator=None):
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        self.generator = generator

    def _order(self):
        rng = _random.as_numpy_generator(self.generator, "SubsetRandomSampler")
        return self.indices[rng.permutation(len(self.indices))]

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (e.g. inverse
    class frequencies, to balance classes); ``replacement=False`` draws each index at most once."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        w = np.asarray(weights.array if hasattr(weights, "array") else weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"WeightedRandomSampler: weights must be a non-empty 1-D sequence, "
                             f"got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() == 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and "
                             "not all zero")
        if not isinstance(replacement, bool):
            raise TypeError(f"WeightedRandomSampler: replacement must be True or False, got "
                            f"{replacement!r}")
        self.num_samples = _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        if not replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {self.num_samples} samples "
                             f"without replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self.replacement = replacement
        self.generator = generator

    def _order(self):
        rng = _random.as_numpy_generator(self.generator, "WeightedRandomSampler")
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                          p=self.weights / self.weights.sum())

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of ``batch_size``; the last, shorter list is kept
    unless ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        self.drop_last = drop_last

    def __iter__(self):
        # chainrule's samplers hand over their whole order as one array: cut it, no Python loop
        order = (self.sampler._order() if hasattr(self.sampler, "_order")
                 else list(self.sampler))
        order = np.asarray(order, dtype=np.int64).reshape(-1)
        size = self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size].tolist()

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
