"""``DataLoader``: a dataset cut into mini-batches, as torch.utils.data's (reshuffled every epoch).

Each ``iter(loader)`` is a new epoch with its own iterator object (and its own shuffle order), so
two loops over the same loader never share state.

Workers run in-process: ``num_workers``, ``pin_memory``, ``persistent_workers``, ``timeout``,
``prefetch_factor`` and ``multiprocessing_context`` are accepted so that PyTorch code runs, and
the batches are built in the main process. For NumPy data that is the faster choice: a batch of
an array-backed dataset is one gather, far cheaper than sending it between processes.
"""

import numbers

import numpy as np

from .. import random as _random
from ..backend import get_array_module, on_host
from ..tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import IterableDataset, array_source
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def _check_bool(value, name):
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"DataLoader: {name} must be True or False, got {value!r}")
    return bool(value)


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples, as ``chainrule.Tensor``s.

    torch's arguments and rules: ``shuffle`` (a ``RandomSampler`` drawing from ``generator``, a
    ``chainrule.Generator`` or ``numpy.random.Generator``; without one, from chainrule's default
    generator, so ``cr.manual_seed`` makes runs repeatable; ``seed=`` makes the loader its own),
    or a ``sampler``, or a ``batch_sampler`` (which excludes ``batch_size``, ``shuffle``,
    ``sampler`` and ``drop_last``); ``collate_fn`` (``default_collate``); ``batch_size=None``
    yields single samples. ``worker_init_fn(0)`` is called in this process at the start of each
    epoch when ``num_workers > 0`` (once with ``persistent_workers``), as for one worker.

    Array-backed datasets (``TensorDataset``, or anything with an ``arrays`` attribute, and
    Subsets of them) are batched by slicing the whole arrays at once, dtypes unchanged: a view when
    read in order, one gather otherwise. Other datasets are read sample by sample and collated.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, numbers.Integral) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got "
                             f"{batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got "
                             f"{num_workers!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got "
                            f"{type(worker_init_fn).__name__}")
        shuffle = False if shuffle is None else _check_bool(shuffle, "shuffle")
        drop_last = _check_bool(drop_last, "drop_last")
        _check_bool(pin_memory, "pin_memory")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give generator or seed, not both")
        if generator is not None:
            _random.as_numpy_generator(generator, "DataLoader")  # checks its type
        if seed is not None:
            generator = np.random.default_rng(seed)  # one generator for the loader's lifetime

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle:
                raise ValueError("DataLoader: an IterableDataset cannot be shuffled (shuffle "
                                 "inside its __iter__)")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: an IterableDataset takes no sampler or "
                                 "batch_sampler")
        else:
            try:
                len(dataset)
            except TypeError:
                raise TypeError(f"DataLoader: the dataset must have a length (or be an "
                                f"IterableDataset), {type(dataset).__name__} has none") from None
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if not iterable and sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if not iterable and batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._workers_started = False

    @property
    def shuffle(self):
        return isinstance(self.sampler, RandomSampler)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError, as in torch, when the stream has no length
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self.num_workers > 0 and self.worker_init_fn is not None and not (
                self.persistent_workers and self._workers_started):
            self.worker_init_fn(0)
        self._workers_started = True
        if isinstance(self.dataset, IterableDataset):
            return self._stream()
        if self.batch_sampler is None:
            return (default_convert(self.dataset[int(i)]) if self.collate_fn is None
                    else self.collate_fn(self.dataset[int(i)]) for i in self.sampler)
        return _BatchIterator(self)

    def _stream(self):
        collate = self.collate_fn or default_collate
        if self.batch_size is None:
            for sample in self.dataset:
                yield default_convert(sample) if self.collate_fn is None else collate(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def __repr__(self):
        size = "?" if isinstance(self.dataset, IterableDataset) else len(self.dataset)
        return (f"DataLoader({size} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


class _BatchIterator:
    """One epoch over a DataLoader: yields batches until the batch sampler runs out."""

    def __init__(self, loader):
        self.loader = loader
        self.batches = iter(loader.batch_sampler)
        self.remaining = len(loader.batch_sampler) if hasattr(
            loader.batch_sampler, "__len__") else None
        source = array_source(loader.dataset) if loader.collate_fn is None else None
        self.source = source
        # Read in order from whole arrays: each batch is a slice, a view with no copy at all.
        self.sequential = (source is not None and source[1] is None
                           and isinstance(loader.batch_sampler, BatchSampler)
                           and type(loader.sampler) is SequentialSampler)

    def __iter__(self):
        return self

    def __len__(self):
        return self.remaining

    def __next__(self):
        ids = next(self.batches)
        if self.remaining is not None:
            self.remaining -= 1
        if self.source is None:
            collate = self.loader.collate_fn or default_collate
            return collate([self.loader.dataset[int(i)] for i in ids])
        arrays, rows = self.source
        if self.sequential:
            return [Tensor(a[ids[0]:ids[-1] + 1]) for a in arrays]
        ids = np.asarray(ids, dtype=np.int64)
        if rows is not None:
            ids = rows[ids]
        return [Tensor(a[ids if on_host(a) else get_array_module(a).asarray(ids)])
                for a in arrays]
