"""Tensor functions callable as ``chainrule.exp(x)`` as well as ``x.exp()``.

Arguments may be tensors, NumPy arrays or Python numbers: non-tensors are constants of the graph.
"""

import numbers

import numpy as np

from .backend import get_array_module
from .devices import place
from .errors import ShapeError
from .ops.elementwise import Abs, Exp, Log, Maximum, Minimum, Sqrt, Where
from .ops.matmul import MatMul
from .ops.reduction import StdFromVariance, dim_index, normalize_axis
from .ops.shape import Concatenate, Stack
from .tensor import Tensor, _as_array


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(_as_array(x))


def exp(x):
    return Exp.apply(_t(x))


def log(x):
    return Log.apply(_t(x))


def sqrt(x):
    return Sqrt.apply(_t(x))


def abs(x):  # noqa: A001 - torch's name
    return Abs.apply(_t(x))


def tanh(x):
    return _t(x).tanh()


def sigmoid(x):
    return _t(x).sigmoid()


def relu(x):
    return _t(x).relu()


def softmax(x, dim=-1):
    return _t(x).softmax(dim)


def log_softmax(x, dim=-1):
    return _t(x).log_softmax(dim)


def sin(x):
    return _t(x).sin()


def cos(x):
    return _t(x).cos()


def log1p(x):
    return _t(x).log1p()


def expm1(x):
    return _t(x).expm1()


def sign(x):
    return _t(x).sign()


def pow(x, exponent):  # noqa: A001 - torch's name
    return _t(x) ** exponent


def square(x):
    return _t(x).square()


def var(x, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Variance over ``dim`` (all elements by default), divided by n − 1 as torch does
    (``unbiased=False`` or ``correction=0`` divides by n). Built from ops, so it has a
    gradient: mean((x − mean x)²) · n/(n − ddof)."""
    x = _t(x)
    axes = normalize_axis(dim, x.array.ndim, "var")
    n = 1
    for a in axes:
        n *= x.array.shape[a]
    ddof = (1 if unbiased else 0) if correction is None else correction
    if n - ddof <= 0:
        raise ValueError(f"var: {n} value(s) with correction {ddof} leave no degrees of "
                         "freedom")
    if x.array.dtype == np.float16:
        # squared deviations over 256 pass float16's 65504: sum them in float32, as torch does
        return var(x.float(), dim, unbiased, keepdim, correction=correction).to(np.float16)
    centred = x - x.mean(axis=axes, keepdims=True)
    return (centred * centred).sum(axis=axes, keepdims=keepdim) / (n - ddof)


def std(x, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Standard deviation: the square root of ``var`` (same arguments)."""
    x = _t(x)
    if x.array.dtype == np.float16:  # the variance itself may pass 65504: root it in float32
        return std(x.float(), dim, unbiased, keepdim, correction=correction).to(np.float16)
    return StdFromVariance.apply(var(x, dim, unbiased, keepdim, correction=correction))


def norm(x, p=2, dim=None, keepdim=False):
    return _t(x).norm(p, dim, keepdim)


def flatten(x, start_dim=0, end_dim=-1):
    return _t(x).flatten(start_dim, end_dim)


def squeeze(x, dim=None):
    return _t(x).squeeze(dim)


def unsqueeze(x, dim):
    return _t(x).unsqueeze(dim)


def argmax(x, dim=None, keepdim=False):
    return _t(x).argmax(dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return _t(x).argmin(dim, keepdim)


def mm(a, b):
    return _t(a).mm(b)


def dot(a, b):
    return _t(a).dot(b)


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Are ``a`` and ``b`` equal within tolerances (torch.allclose)? A Python bool."""
    return bool(np.allclose(_as_array(a), _as_array(b), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def equal(a, b):
    """Same shape and the same values (torch.equal)? A Python bool."""
    return bool(np.array_equal(_as_array(a), _as_array(b)))


def clip(x, min=None, max=None):  # noqa: A002 - torch's argument names
    return _t(x).clip(min, max)


clamp = clip


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` holds, of ``b`` elsewhere (gradients follow)."""
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:  # a float mask is most likely a forgotten comparison
        raise TypeError(f"where: the condition must be boolean (e.g. x > 0), got {cond.dtype}")
    return Where.apply(cond, a, b)


def matmul(a, b):
    return MatMul.apply(a, b)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001
    return _t(x).sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _t(x).mean(axis, keepdims, dim=dim, keepdim=keepdim)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """``torch.max``: the largest value, ``(values, indices)`` along ``dim``, or, given a second
    tensor, the elementwise maximum."""
    if dim is not None and not isinstance(dim, (numbers.Integral, tuple, list)):
        return maximum(x, dim)
    return _t(x).max(dim, keepdim, axis=axis, keepdims=keepdims)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """``torch.min``: like ``max``."""
    if dim is not None and not isinstance(dim, (numbers.Integral, tuple, list)):
        return minimum(x, dim)
    return _t(x).min(dim, keepdim, axis=axis, keepdims=keepdims)


# torch's reductions, scans and sorting (amax, logsumexp, ...)
def amax(x, dim=(), keepdim=False):
    return _t(x).amax(dim, keepdim)


def amin(x, dim=(), keepdim=False):
    return _t(x).amin(dim, keepdim)


def logsumexp(x, dim, keepdim=False):
    return _t(x).logsumexp(dim, keepdim)


def prod(x, dim=None, keepdim=False, *, dtype=None):
    return _t(x).prod(dim, keepdim, dtype=dtype)


def cumsum(x, dim, *, dtype=None):
    return _t(x).cumsum(dim, dtype=dtype)


def sort(x, dim=-1, descending=False, *, stable=False):
    return _t(x).sort(dim, descending, stable=stable)


def argsort(x, dim=-1, descending=False, *, stable=False):
    return _t(x).argsort(dim, descending, stable=stable)


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's argument name
    return _t(x).topk(k, dim, largest, sorted)


def reshape(x, *shape):
    return _t(x).reshape(*shape)


def transpose(x, *dims):
    return _t(x).transpose(*dims)


def permute(x, *dims):
    return _t(x).permute(*dims)


def _sequence(op, tensors):
    """The tensors (or arrays) to join, as a list. A tensor on its own is refused: iterating it
    would join its rows without a word."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a list or tuple of tensors, not a Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) and not hasattr(t, "shape"):
            raise TypeError(f"{op}: element {i} is of type {type(t).__name__}, not a tensor")
    return tensors


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (``torch.cat``)."""
    tensors = _sequence("cat", tensors)
    ndim = _as_array(tensors[0]).ndim
    if ndim == 0:  # dim_index lets a 0-d tensor name dim 0, but there is nothing to join along
        raise ShapeError("cat: a 0-d tensor has no dim to join along; use stack to make a "
                         "1-d tensor of them")
    axis = dim_index(axis if dim is None else dim, ndim, "cat")
    return Concatenate.apply(axis, *tensors)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Join tensors along a new axis."""
    tensors = _sequence("stack", tensors)
    axis = dim_index(axis if dim is None else dim, _as_array(tensors[0]).ndim, "stack",
                      new_axis=True)
    return Stack.apply(axis, *tensors)


# -- constructors --------------------------------------------------------------------------------
def _dtype(dtype):
    return np.float32 if dtype is None else dtype


def _shape(shape, name):
    """``zeros(2, 3)`` and ``zeros((2, 3))`` alike, as non-negative integers, or a clear error."""
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        if not hasattr(shape[0], "__iter__"):
            raise TypeError(f"{name}: sizes must be integers, got {shape[0]!r}")
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{name}: sizes must be integers, got {tuple(shape)}")
        if n < 0:
            raise ValueError(f"{name}: sizes must not be negative, got {tuple(shape)}")
    return tuple(int(n) for n in shape)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    data = np.zeros(_shape(shape, "zeros"), dtype=_dtype(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    data = np.ones(_shape(shape, "ones"), dtype=_dtype(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``fill_value``, whose dtype it takes as torch does:
    a bool gives bool, an integer int64, a float float32."""
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = np.int64
    data = np.full(shape, fill_value, dtype=_dtype(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of the given shape whose values are whatever the memory held (torch.empty)."""
    data = np.empty(_shape(shape, "empty"), dtype=_dtype(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The n×m identity matrix (torch.eye)."""
    shape = _shape((n, n if m is None else m), "eye")
    data = np.eye(*shape, dtype=_dtype(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (torch.linspace)."""
    (steps,) = _shape((steps,), "linspace")
    data = np.linspace(start, end, steps, dtype=_dtype(dtype))
    return Tensor(place(data, device), requires_grad=requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    """Zeros shaped like ``t``, on ``t``'s device unless ``device`` says otherwise."""
    arr = _as_array(t)
    data = get_array_module(arr).zeros_like(arr, dtype=dtype)
    return Tensor(place(data, device), requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    """Ones shaped like ``t``, on ``t``'s device unless ``device`` says otherwise."""
    arr = _as_array(t)
    data = get_array_module(arr).ones_like(arr, dtype=dtype)
    return Tensor(place(data, device), requires_grad=requires_grad)


def arange(*args, dtype=None, device=None, requires_grad=False):
    arr = np.arange(*args)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return Tensor(place(arr, device), requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (no copy), as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    return Tensor(array)


# -- torch's shape and indexing functions (each is the Tensor method of the same name) ----------
def split(tensor, split_size_or_sections, dim=0):
    return _t(tensor).split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):  # noqa: A002 - torch's argument names
    return _t(input).chunk(chunks, dim)


def flip(input, dims):  # noqa: A002
    return _t(input).flip(dims=dims)


def roll(input, shifts, dims=None):  # noqa: A002
    return _t(input).roll(shifts, dims)


def narrow(input, dim, start, length):  # noqa: A002
    return _t(input).narrow(dim, start, length)


def gather(input, dim, index, *, sparse_grad=False):  # noqa: A002
    return _t(input).gather(dim, index, sparse_grad=sparse_grad)


def index_select(input, dim, index):  # noqa: A002
    return _t(input).index_select(dim, index)


def outer(input, vec2):  # noqa: A002
    return _t(input).outer(vec2)


def bmm(input, mat2):  # noqa: A002
    return _t(input).bmm(mat2)


def is_floating_point(input):  # noqa: A002
    return _t(input).is_floating_point()
