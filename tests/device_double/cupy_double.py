"""A strict stand-in for CuPy, so device code runs in CI on a machine without a GPU.

Installed as ``sys.modules["cupy"]`` by the ``on_device_double`` fixture, it is what
``chainrule.backend`` imports when a tensor goes to ``"cuda"``. Its arrays hold a NumPy array
inside but behave as CuPy's do where that matters for honesty:

- they refuse to become NumPy arrays implicitly: ``np.asarray(x)``, ``np.exp(x)``, mixing one
  with a NumPy array (``x + ndarray``) raise ``HostRoundTrip``. The only ways back are the
  explicit ones, ``x.get()``, ``cupy.asnumpy(x)``, ``x.item()``, ``x.tolist()`` and ``float(x)``;
  each is written to ``transfers`` with the module that asked, so a test can assert that a
  training step made none;
- each array records the module that made it (``made_by``), to find who created a stray one;
- the module exposes only the part of CuPy's API that chainrule uses (a name CuPy lacks, such as
  ``errstate``, is an AttributeError here too).

The numbers are NumPy's, so results are compared with the CPU run exactly.
"""

import builtins  # any, all, sum, max, min, abs and round are CuPy's names below
import contextlib
import sys
import types

import numpy as np


class HostRoundTrip(TypeError):
    """A device array was about to be turned into a NumPy array without an explicit copy."""


transfers = []  # (what, stack) for every explicit copy back to the host
_THIS = __name__
_SKIP = (_THIS, "chainrule.backend")
# The parts of a training step: none of them may copy numbers back to the host on its own.
STEP_PARTS = ("chainrule.ops", "chainrule.autograd.engine", "chainrule.autograd.function",
              "chainrule.nn", "chainrule.optim", "chainrule.tensor_methods",
              "chainrule.functional")
# The ways a user asks for numbers back, explicitly (the stack's frames are (module, function)).
EXITS = {(module, name) for module in ("chainrule.tensor_methods", "chainrule.nn.module")
         for name in ("to", "cpu")} | {("chainrule.nn.module", "load_state_dict")} | {
    ("chainrule.tensor", name) for name in ("item", "tolist", "numpy", "__repr__", "__format__",
                                            "__float__", "__int__", "__bool__", "__index__")}


def _caller():
    """The first module on the stack outside this double and chainrule's backend helpers."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in _SKIP:
        frame = frame.f_back
    return frame.f_globals.get("__name__", "?") if frame is not None else "?"


def _record(what):
    frame, stack = sys._getframe(2), []
    while frame is not None:
        stack.append((frame.f_globals.get("__name__", "?"), frame.f_code.co_name))
        frame = frame.f_back
    transfers.append((what, tuple(stack)))


def _asked_inside(stack):
    """Whether a part of a training step asked for this copy on its own: follow the library's
    frames from where the caller entered it; an explicit exit (``.cpu()``, ``.item()`` …)
    reached first makes it the caller's request, a step part reached first makes it the
    library's. A copy inside the ``to`` op (``ops/transfer.py``) is the graph's own: the user
    put a device change there."""
    library = [f for f in reversed(stack) if f[0].startswith("chainrule")]
    if builtins.any(module == "chainrule.ops.transfer" for module, _ in library):
        return False
    for frame in library:
        if frame in EXITS:
            return False
        if frame[0].startswith(STEP_PARTS):
            return True
    return False


def round_trips_inside(log):
    """The copies in ``log`` that a training step's parts asked for, one line each."""
    return [f"{what} asked through "
            f"{' <- '.join(f'{m}.{f}' for m, f in stack if m.startswith('chainrule'))}"
            for what, stack in log if _asked_inside(stack)]


def _unwrap(x):
    """The NumPy array inside a device array (recursively in lists and tuples); a NumPy array
    met here is host data in a device computation, which CuPy refuses."""
    if type(x) is ndarray:
        return x._a
    if type(x) is np.ndarray:
        raise HostRoundTrip(f"a NumPy array of shape {x.shape} was mixed with device arrays "
                            f"(in {_caller()}): move it with cupy.asarray first")
    if type(x) in (list, tuple):
        return type(x)(_unwrap(v) for v in x)
    return x


def _wrap(x, made_by=None):
    if type(x) is np.ndarray:
        return ndarray(x, made_by or _caller())
    if type(x) is tuple:
        return tuple(_wrap(v, made_by) for v in x)
    if type(x) is list and x and type(x[0]) is np.ndarray:
        return [_wrap(v, made_by) for v in x]
    if isinstance(x, np.generic):
        # CuPy returns 0-d arrays where NumPy returns scalars: keep them on the device
        return ndarray(np.asarray(x), made_by or _caller())
    return x


class _Device:
    """``cupy.cuda.Device``: which GPU; a context manager that makes it current."""

    def __init__(self, id=0):  # noqa: A002 - CuPy's name
        self.id = int(id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def _binary(name):
    op = getattr(np.ndarray, name)

    def method(self, other):
        return _wrap(op(self._a, _unwrap(other)), self.made_by)

    method.__name__ = name
    return method


def _inplace(name):
    op = getattr(np.ndarray, name)

    def method(self, other):
        op(self._a, _unwrap(other))
        return self

    method.__name__ = name
    return method


def _unary(name):
    op = getattr(np.ndarray, name)

    def method(self):
        return _wrap(op(self._a), self.made_by)

    method.__name__ = name
    return method


def _method(name):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._a, name)(*_unwrap(args), **{k: _unwrap(v) for k, v in
                                                               kwargs.items()}))

    method.__name__ = name
    return method


class ndarray:  # noqa: N801 - CuPy's name
    """A device array: NumPy numbers inside, no implicit way out."""

    __slots__ = ("_a", "made_by", "__weakref__")
    __array_ufunc__ = None  # ndarray + this gives NotImplemented, then our __radd__ refuses

    def __init__(self, array, made_by="?"):
        self._a = array if type(array) is np.ndarray else np.asarray(array)
        self.made_by = made_by

    # -- what CuPy's arrays answer without a copy ------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: _wrap(self._a.T, self.made_by))
    device = property(lambda self: _Device(0))

    @property
    def base(self):
        return None if self._a.base is None else _VIEW_BASE

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "version": 3,
                "data": (id(self._a), False), "strides": None}

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        return _wrap(self._a[_index(index)], self.made_by)

    def __setitem__(self, index, value):
        self._a[_index(index)] = _unwrap(value)

    def __repr__(self):
        return f"cupy_double.ndarray(shape={self._a.shape}, dtype={self._a.dtype})"

    # -- the refusals ----------------------------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise HostRoundTrip(
            f"implicit conversion of a device array to NumPy (asked by {_caller()}; made by "
            f"{self.made_by}): use .get() or cupy.asnumpy() explicitly")

    __array_function__ = None

    # -- the explicit ways back to the host, each recorded -----------------------------------
    def get(self, *args, **kwargs):
        _record("get")
        return self._a.copy()

    def item(self):
        _record("item")
        return self._a.item()

    def tolist(self):
        _record("tolist")
        return self._a.tolist()

    def __float__(self):
        _record("float")
        return float(self._a)

    def __int__(self):
        _record("int")
        return int(self._a)

    def __bool__(self):
        _record("bool")
        return bool(self._a)

    def __index__(self):
        _record("index")
        return self._a.__index__()

    def __format__(self, spec):
        raise HostRoundTrip(f"formatting a device array (asked by {_caller()}): "
                            "copy it to the host first")

    def __str__(self):
        raise HostRoundTrip(f"printing a device array (asked by {_caller()}): "
                            "copy it to the host first")


_VIEW_BASE = object()  # what .base answers for a view: not None, and not a host array

for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__lt__", "__le__",
              "__gt__", "__ge__", "__eq__", "__ne__", "__and__", "__rand__", "__or__", "__ror__",
              "__xor__", "__rxor__"):
    setattr(ndarray, _name, _binary(_name))
for _name in ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__ipow__",
              "__iand__", "__ior__"):
    setattr(ndarray, _name, _inplace(_name))
for _name in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(ndarray, _name, _unary(_name))
for _name in ("astype", "reshape", "transpose", "sum", "mean", "max", "min", "argmax", "argmin",
              "prod", "cumsum", "var", "std", "all", "any", "copy", "ravel", "flatten", "squeeze",
              "swapaxes", "clip", "fill", "dot", "view", "round", "nonzero", "argsort", "sort",
              "take", "repeat", "conj"):
    setattr(ndarray, _name, _method(_name))
ndarray.__hash__ = None


def _index(index):
    if type(index) is tuple:
        return tuple(_index(i) for i in index)
    if type(index) is ndarray:
        return index._a
    if type(index) is np.ndarray:
        raise HostRoundTrip(f"a NumPy array indexes a device array (in {_caller()}): move the "
                            "index with cupy.asarray first")
    return index


# -- the module's functions: NumPy's, on unwrapped arrays, with device arrays out ---------------
def _function(np_function):
    def function(*args, **kwargs):
        args = _unwrap(args)
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return _wrap(np_function(*args, **kwargs))

    function.__name__ = np_function.__name__
    return function


class _Ufunc:
    """A ufunc: called, reduced, or applied in place at indices (``add.at``)."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = np_ufunc.__name__

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        result = self._u(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
        return out if out is not None else _wrap(result)

    def reduce(self, array, *args, **kwargs):
        return _wrap(self._u.reduce(_unwrap(array), *args, **kwargs))

    def at(self, a, indices, b=None):
        self._u.at(_unwrap(a), _index(indices), _unwrap(b))


_FUNCTIONS = (
    "zeros", "ones", "empty", "full", "arange", "eye", "linspace", "zeros_like", "ones_like",
    "empty_like", "full_like", "where", "clip", "concatenate", "stack", "split", "reshape",
    "transpose", "moveaxis", "swapaxes", "expand_dims", "squeeze", "broadcast_to", "flip",
    "roll", "tile", "repeat", "pad", "take", "take_along_axis", "put_along_axis", "indices",
    "sum", "mean", "prod", "cumsum", "cumprod", "amax", "amin", "max", "min", "argmax", "argmin",
    "argsort", "sort", "var", "std", "dot", "matmul", "einsum", "tensordot", "outer", "isnan",
    "isfinite", "isinf", "sign", "abs", "absolute", "sqrt", "exp", "expm1", "log", "log1p",
    "log2", "tanh", "sin", "cos", "square", "reciprocal", "floor", "ceil", "round", "power",
    "logaddexp", "array_equal", "allclose", "count_nonzero", "ravel", "tril", "triu", "diag",
    "nonzero", "all", "any", "atleast_1d", "shape", "result_type", "can_cast", "unique",
    "bincount", "searchsorted", "copyto", "ascontiguousarray", "cbrt", "arctanh",
)
_UFUNCS = ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
           "negative", "greater", "less", "equal", "logical_and", "logical_or", "logical_not",
           "exp", "log", "sqrt", "tanh", "abs", "sign", "square", "reciprocal", "power",
           "expm1", "log1p", "sin", "cos", "floor", "isnan", "isfinite", "logaddexp")
_module = sys.modules[__name__]
for _name in _FUNCTIONS:
    if hasattr(np, _name):
        setattr(_module, _name, _function(getattr(np, _name)))
for _name in _UFUNCS:
    setattr(_module, _name, _Ufunc(getattr(np, _name)))

# dtypes and constants are NumPy's own objects in CuPy too
for _name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
              "bool_", "dtype", "inf", "nan", "pi", "e", "newaxis", "iinfo", "finfo",
              "generic", "integer", "floating"):
    setattr(_module, _name, getattr(np, _name))


def asarray(a, dtype=None):
    """A device copy of host data (the one way onto the device), or the device array itself."""
    if type(a) is ndarray:
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    if isinstance(a, (list, tuple)) and builtins.any(type(v) is ndarray for v in a):
        return _wrap(np.asarray(_unwrap(a), dtype=dtype))
    return ndarray(np.array(a, dtype=dtype), _caller())


def array(a, dtype=None, copy=True):
    if type(a) is ndarray:
        return a.astype(dtype if dtype is not None else a.dtype, copy=copy)
    return ndarray(np.array(a, dtype=dtype), _caller())


def asnumpy(a):
    if type(a) is ndarray:
        _record("asnumpy")
        return a._a.copy()
    return np.asarray(a)


def get_array_module(*arrays):
    return _module if builtins.any(type(a) is ndarray for a in arrays) else np


# -- the parts of cupy.cuda, cupy.random and cupy.lib chainrule touches --------------------------
class _Runtime:
    device_count = 1

    def getDeviceCount(self):  # noqa: N802 - CuPy's name
        return self.device_count


cuda = types.SimpleNamespace(Device=_Device, runtime=_Runtime())


class _Generator:
    """``cupy.random.Generator``: draws on the device (from a NumPy generator here)."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return ndarray(self._g.random(size, dtype=dtype), _caller())

    def standard_normal(self, size=None, dtype=np.float64):
        return ndarray(self._g.standard_normal(size, dtype=dtype), _caller())


random = types.SimpleNamespace(default_rng=_Generator, Generator=_Generator)


def _as_strided(x, shape=None, strides=None):
    return ndarray(np.lib.stride_tricks.as_strided(x._a, shape, strides), x.made_by)


lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided))


def _erf(x):
    """``cupyx.scipy.special.erf``: SciPy's on the numbers inside."""
    from scipy.special import erf

    return ndarray(erf(_unwrap(x)), _caller())


_special = types.ModuleType("cupyx.scipy.special")
_special.erf = _erf
_cupyx_scipy = types.ModuleType("cupyx.scipy")
_cupyx_scipy.special = _special
_cupyx = types.ModuleType("cupyx")
_cupyx.scipy = _cupyx_scipy
_MODULES = {"cupy": _module, "cupyx": _cupyx, "cupyx.scipy": _cupyx_scipy,
            "cupyx.scipy.special": _special}


@contextlib.contextmanager
def installed():
    """``import cupy`` (and ``cupyx.scipy.special``) give this double inside the block;
    transfers start from an empty log."""
    saved = {name: sys.modules.get(name) for name in _MODULES}
    sys.modules.update(_MODULES)
    transfers.clear()
    try:
        yield _module
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
