"""torch's ways of passing arguments, read into one form: ``dim`` or ``axis``, ``permute(1, 0)``
or ``permute((1, 0))``, negative dims, ``dim=()`` for every dim, a generator or none.

Tensor's methods and the functional module call these first, so the ops see one form only.
"""

import numbers

import numpy as np

from .errors import ShapeError
from .random import default_generator


def read_to(who, args, dtype=None, device=None):
    """``(dtype, device)`` that ``who.to(...)`` asks for (None: keep it), read as torch reads
    ``to``'s arguments: ``to(float64)``, ``to("cuda")``, ``to(device, float64)``,
    ``to(other_tensor)`` (its dtype and device), or by keyword."""
    from .devices import as_device
    from .devices import device as device_type

    for arg in args:
        if _is_tensor(arg):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, (str, device_type)) or (isinstance(arg, int)
                                                     and not isinstance(arg, bool)):
            device = arg
        elif arg is not None:
            dtype = arg
    try:
        dtype = None if dtype is None else np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}.to: expected a dtype, a device or a tensor, got "
                        f"{dtype!r}") from None
    return dtype, None if device is None else as_device(device)


class DtypeShortcuts:
    """``float()``, ``double()`` and ``half()``: torch's names for ``to`` a float dtype, shared by
    Tensor and Module."""

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)


def unwrap_index(index, like=None):
    """Tensors inside an index become their arrays; lists become integer or boolean arrays.
    Host index arrays go to the device of ``like`` (the array indexed), as torch moves them."""
    if _is_tensor(index):
        index = index.array
    elif isinstance(index, list):
        index = np.asarray(index) if index else np.empty(0, np.int64)  # [] alone: float
    elif isinstance(index, tuple):
        return tuple(unwrap_index(i, like) for i in index)
    if like is not None and type(index) is np.ndarray and type(like) is not np.ndarray:
        from .backend import get_array_module

        xp = get_array_module(like)
        if xp is not np:
            index = xp.asarray(index)
    return index


def dims_tuple(dims):
    """Accept both ``permute(1, 0)`` and ``permute((1, 0))``."""
    if len(dims) == 1 and not isinstance(dims[0], numbers.Integral):
        return tuple(dims[0])
    return tuple(dims)


def axis_or_dim(axis, dim):
    """NumPy's ``axis`` and torch's ``dim`` name the same thing; accept either."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        return dim
    return axis


def every_dim_if_empty(dim):
    """torch's amax, amin and logsumexp read ``dim=()`` (or ``[]``) as every dim."""
    return None if isinstance(dim, (tuple, list)) and len(dim) == 0 else dim


def random_generator(op, generator):
    """chainrule's seeded generator, or the NumPy Generator the caller passed."""
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    return generator


def scaled_operand(other, alpha):
    """alpha·other as an array or number, for add_ and sub_ (nothing recorded)."""
    other = other.array if _is_tensor(other) else other
    return other if alpha == 1 else np.multiply(other, alpha)


def check_ndim(op, ndim, *tensors):
    shapes = [tuple(t.array.shape) if _is_tensor(t) else np.shape(t) for t in tensors]
    if any(len(shape) != ndim for shape in shapes):
        raise ShapeError(f"{op} expects {ndim}-d tensors, got shapes "
                         f"{', '.join(str(tuple(s)) for s in shapes)}")


def dim_index(dim, ndim, op, new_axis=False):
    """``dim`` as an index into ``range(ndim)`` (``range(ndim + 1)`` for a ``new_axis``),
    negative counting from the end, as torch reads it. Out of range is an IndexError naming the
    op, never a silent wrap-around."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an integer, got {dim!r}")
    n = ndim + 1 if new_axis else max(ndim, 1)  # as in torch, a 0-d tensor accepts dim 0 and -1
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} "
                         f"dimension(s) (expected {-n} to {n - 1})")
    return int(dim) % n


def normalize_axis(axis, ndim, op):
    """A tuple of non-negative axes (None means all), each checked by ``dim_index``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else axis
    if not isinstance(axes, (tuple, list)):
        raise TypeError(f"{op}: axis (dim) must be an integer or a tuple of integers, "
                        f"got {axis!r}")
    checked = tuple(dim_index(a, ndim, op) for a in axes)
    return checked if ndim else ()  # a 0-d tensor's one dim (0 or -1) reduces nothing, as torch


def _is_tensor(x):
    """A chainrule Tensor (read by its slots: this module sits below tensor.py)."""
    return hasattr(x, "grad_fn") and hasattr(x, "array")
