"""``default_collate``: a list of samples becomes one batch, as torch.utils.data builds it.

Tensors and arrays are stacked along a new first axis; Python ints become an int64 tensor,
floats a float64 one and bools a bool one (torch's dtypes); strings stay a list; tuples and lists
are collated field by field into a list, dicts key by key, namedtuples into the same namedtuple.
"""

import numbers

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor


def _stack(samples):
    first = samples[0]
    if isinstance(first, Tensor):
        arrays = [s.array for s in samples]
        return Tensor(get_array_module(arrays[0]).stack(arrays))  # on the samples' device
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(samples))
    if isinstance(first, np.generic):
        return Tensor(np.asarray(samples, dtype=first.dtype))
    if isinstance(first, bool):
        return Tensor(np.asarray(samples, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(np.asarray(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.asarray(samples, dtype=np.float64))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    f"return tensors, arrays, numbers, strings, or tuples/dicts of them from "
                    f"__getitem__, or pass collate_fn=")


def default_collate(batch):
    """Combine a list of samples into a batch (see the module docstring for the rules)."""
    batch = list(batch)
    if not batch:
        raise ValueError("default_collate: the batch is empty")
    first = batch[0]
    if isinstance(first, str | bytes):
        return batch
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in batch]) for k in first}
    if isinstance(first, tuple | list):
        if any(len(s) != len(first) for s in batch):
            raise ValueError("default_collate: samples in one batch have different numbers of "
                             "fields")
        fields = [default_collate([s[i] for s in batch]) for i in range(len(first))]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return fields
    try:
        return _stack(batch)
    except ValueError as e:  # np.stack on ragged samples
        raise ValueError(f"default_collate: samples in one batch have different shapes "
                         f"({e})") from None


def default_convert(sample):
    """One sample as the loader gives it when batching is off (``batch_size=None``): arrays
    become tensors, containers are converted inside, everything else is left as it is."""
    if isinstance(sample, np.ndarray):
        return Tensor(sample)
    if isinstance(sample, dict):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, tuple | list):
        return [default_convert(v) for v in sample]
    return sample
