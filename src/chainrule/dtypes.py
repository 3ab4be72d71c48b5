"""torch's dtype names (``chainrule.float32``, ``chainrule.long`` …), the default float dtype
(``set_default_dtype``), ``Size``, and the ``'chainrule.FloatTensor'`` names of ``x.type()``.

A chainrule dtype is NumPy's (``chainrule.float32 is numpy.float32``), so ``x.dtype ==
chainrule.float32`` and ``numpy.zeros(3, chainrule.long)`` both work. The default dtype is what
Python floats, the factories (``zeros``, ``randn`` …) and new layers' parameters become; torch
starts it at float32, and so does chainrule.
"""

import numpy as np

from .errors import UnsupportedError

float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
uint8 = np.uint8
int8 = np.int8
int16 = short = np.int16
int32 = np.int32
int64 = long = np.int64
bool_ = np.bool_

# the names that are Python builtins too; __init__ exports them as chainrule.float …
ALIASES = {"float": float32, "int": int32, "bool": bool_}

# torch dtypes that NumPy has no (or no matching) type for: refused by name, in one line
UNSUPPORTED = ("bfloat16", "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf",
               "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "qint8",
               "quint8", "qint32", "quint4x2", "uint16", "uint32", "uint64")


def refuse_dtype(name):
    """The one-line error for a torch dtype chainrule does not have."""
    return UnsupportedError(f"chainrule has no dtype {name}: its tensors are NumPy arrays of "
                               "float16/32/64, int8/16/32/64, uint8 or bool")


class DefaultDtype:
    """The process-wide default float dtype (a class attribute, read once per factory call)."""

    dtype = np.dtype(np.float32)


def set_default_dtype(d):
    """Make ``d`` (float32 or float64) the dtype of Python floats, factories and new layers'
    parameters, as ``torch.set_default_dtype``."""
    try:
        dtype = np.dtype(d)
    except TypeError:
        raise TypeError(f"set_default_dtype: {d!r} is not a dtype") from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: only float32 or float64 can be the default, "
                        f"got {dtype}")
    DefaultDtype.dtype = dtype


def get_default_dtype():
    """The default float dtype (``chainrule.float32`` unless ``set_default_dtype`` changed it)."""
    return DefaultDtype.dtype.type


def default_float(dtype):
    """``dtype``, or the default float dtype when it is None (the factories' rule)."""
    return DefaultDtype.dtype if dtype is None else dtype


# x.type(): torch's legacy tensor-type names, with chainrule's prefix
TYPE_NAMES = {np.dtype(np.float16): "HalfTensor", np.dtype(np.float32): "FloatTensor",
              np.dtype(np.float64): "DoubleTensor", np.dtype(np.uint8): "ByteTensor",
              np.dtype(np.int8): "CharTensor", np.dtype(np.int16): "ShortTensor",
              np.dtype(np.int32): "IntTensor", np.dtype(np.int64): "LongTensor",
              np.dtype(np.bool_): "BoolTensor"}
_BY_TYPE_NAME = {name: dtype for dtype, name in TYPE_NAMES.items()}


def type_name(dtype):
    """``'chainrule.FloatTensor'`` for float32, as ``torch.Tensor.type()`` names it."""
    return "chainrule." + TYPE_NAMES[np.dtype(dtype)]


def dtype_of_type_name(name):
    """The dtype a name like ``'torch.DoubleTensor'`` or ``'chainrule.LongTensor'`` means."""
    short = name.rsplit(".", 1)[-1]
    if short not in _BY_TYPE_NAME:
        raise ValueError(f"type: unknown tensor type {name!r}; expected one of "
                         f"{', '.join('chainrule.' + n for n in _BY_TYPE_NAME)}")
    return _BY_TYPE_NAME[short]


class Size(tuple):
    """A tensor's shape, a tuple of ints, as ``torch.Size``: ``x.shape == (2, 3)`` holds, and
    ``x.shape.numel()`` counts the elements."""

    __slots__ = ()

    def numel(self):
        n = 1
        for side in self:
            n *= side
        return n

    def __repr__(self):
        return f"chainrule.Size({list(self)})"

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item
