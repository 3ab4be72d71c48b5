"""Tensor functions callable as ``chainrule.exp(x)`` as well as ``x.exp()``.

Arguments may be tensors, NumPy arrays or Python numbers: non-tensors are constants of the graph.
"""

import numbers

import numpy as np

from .backend import get_array_module
from .devices import place
from .dtypes import DefaultDtype, default_float
from .errors import ShapeError
from .ops.einsum import Einsum
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


def where(condition, a=None, b=None):
    """Elements of ``a`` where ``condition`` holds, of ``b`` elsewhere (gradients follow).
    With the condition alone, the indices where it holds, one tensor per dim (as torch)."""
    if a is None and b is None:
        return _t(condition).nonzero(as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: give both a and b, or the condition alone")
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
_dtype = default_float  # the factories' dtype: the default float dtype unless one is given


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
    a bool gives bool, an integer int64, a float the default dtype."""
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


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in a tensor of ``t``'s shape and dtype (unless ``dtype`` is given), on
    ``t``'s device unless ``device`` says otherwise."""
    arr = _as_array(t)
    data = get_array_module(arr).full(arr.shape, fill_value,
                                      dtype=arr.dtype if dtype is None else dtype)
    return Tensor(place(data, device), requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of ``t``'s shape and dtype (unless ``dtype`` is given)."""
    arr = _as_array(t)
    data = get_array_module(arr).empty_like(arr, dtype=dtype)
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
    """start, start + step, … below end (torch.arange): int64 from integers, the default
    float dtype if any argument is a float."""
    arr = np.arange(*args)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(DefaultDtype.dtype)
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


# -- torch's names with nowhere else to go -------------------------------------------------------
def is_tensor(obj):
    """Is ``obj`` a chainrule Tensor (torch.is_tensor)?"""
    return isinstance(obj, Tensor)


def numel(input):  # noqa: A002
    """The number of elements of ``input`` (torch.numel)."""
    return _t(input).numel()


def as_tensor(data, dtype=None):
    """``data`` as a tensor, sharing memory where it can (torch.as_tensor): a tensor or a NumPy
    array of the same dtype is not copied; a list is."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        return Tensor(data if dtype is None else data.astype(dtype, copy=False))
    return Tensor(_as_array(data, dtype))


def einsum(equation, *operands):
    """Einstein summation (torch.einsum): ``einsum("ij,jk->ik", a, b)`` is ``a @ b``;
    ``...`` stands for the leading dims. Operands may also come as one list."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the first argument must be the equation string, got "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum needs at least one operand")
    operands = [_t(a) for a in operands]
    shapes = ", ".join(str(tuple(a.array.shape)) for a in operands)
    try:
        return Einsum.apply(equation, *operands)
    except ShapeError as e:
        if str(e).startswith("einsum"):
            raise
        raise ShapeError(f"einsum {equation!r} cannot take operands of shapes {shapes}: "
                         f"{str(e).split(': ', 1)[-1]}") from None


def isnan(input):  # noqa: A002
    return _t(input).isnan()


def isinf(input):  # noqa: A002
    return _t(input).isinf()


def isfinite(input):  # noqa: A002
    return _t(input).isfinite()


def masked_fill(input, mask, value):  # noqa: A002
    return _t(input).masked_fill(mask, value)


def unbind(input, dim=0):  # noqa: A002
    return _t(input).unbind(dim)


def floor_divide(input, other):  # noqa: A002
    return _t(input) // other


# torch's function forms of the operators and methods (torch.add(x, 1) is x + 1)
def add(input, other, *, alpha=1):  # noqa: A002
    return _t(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    return _t(input).sub(other, alpha=alpha)


def mul(input, other):  # noqa: A002
    return _t(input) * other


def div(input, other):  # noqa: A002
    return _t(input) / other


true_divide = div


def neg(input):  # noqa: A002
    return -_t(input)


def reciprocal(input):  # noqa: A002
    return _t(input).reciprocal()


def rsqrt(input):  # noqa: A002
    return _t(input).rsqrt()


def log2(input):  # noqa: A002
    return _t(input).log2()


def log10(input):  # noqa: A002
    return _t(input).log10()


def round(input):  # noqa: A001, A002
    return _t(input).round()


def floor(input):  # noqa: A002
    return _t(input).floor()


def ceil(input):  # noqa: A002
    return _t(input).ceil()


def clamp_min(input, min):  # noqa: A002
    return _t(input).clamp_min(min)


def clamp_max(input, max):  # noqa: A002
    return _t(input).clamp_max(max)


def all(input, dim=None, keepdim=False):  # noqa: A001, A002
    return _t(input).all(dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001, A002
    return _t(input).any(dim, keepdim)


def logical_not(input):  # noqa: A002
    return _t(input).logical_not()


def logical_and(input, other):  # noqa: A002
    return _t(input).logical_and(other)


def logical_or(input, other):  # noqa: A002
    return _t(input).logical_or(other)


def logical_xor(input, other):  # noqa: A002
    return _t(input).logical_xor(other)


def count_nonzero(input, dim=None):  # noqa: A002
    return _t(input).count_nonzero(dim)


def nonzero(input, *, as_tuple=False):  # noqa: A002
    return _t(input).nonzero(as_tuple=as_tuple)


def masked_select(input, mask):  # noqa: A002
    return _t(input).masked_select(mask)


def tril(input, diagonal=0):  # noqa: A002
    return _t(input).tril(diagonal)


def triu(input, diagonal=0):  # noqa: A002
    return _t(input).triu(diagonal)


def hstack(tensors):
    """Join along dim 1, or dim 0 for vectors (torch.hstack)."""
    tensors = [_t(t) for t in _sequence("hstack", tensors)]
    return concatenate(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join along dim 0, vectors first made rows (torch.vstack)."""
    tensors = [_t(t) for t in _sequence("vstack", tensors)]
    return concatenate([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values, sorted (torch.unique); no gradient. Optionally where each element
    went (``return_inverse``) and how often each value occurs (``return_counts``)."""
    if dim is not None:
        raise NotImplementedError("unique: chainrule has no dim= here; it flattens, as torch "
                                  "does without dim")
    arr = _as_array(input)
    values, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True)
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor(inverse.reshape(arr.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """How often each non-negative integer occurs (torch.bincount); no gradient."""
    arr = _as_array(input)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or (arr.size and arr.min() < 0):
        raise ValueError(f"bincount: needs a 1-d tensor of non-negative integers, got "
                         f"{arr.dtype} of shape {tuple(arr.shape)}")
    w = None if weights is None else _as_array(weights)
    counts = np.bincount(arr, w, minlength)
    return Tensor(counts if w is not None else counts.astype(np.int64))


def column_stack(tensors):
    """Join along dim 1, 0-d and 1-d tensors first made columns (torch.column_stack)."""
    tensors = [_t(t) for t in _sequence("column_stack", tensors)]
    tensors = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return concatenate(tensors, 1)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-d tensors (torch.meshgrid): output i holds tensor i's values
    along its own dim, repeated along the others; gradients add back along the repeats.
    ``indexing="ij"`` (torch's default) gives shape (len₀, len₁, …); ``"xy"`` swaps the first
    two, as NumPy's and matplotlib's grids for plotting a decision boundary."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("meshgrid: give at least one tensor")
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise ShapeError(f"meshgrid: every tensor must be 0-d or 1-d, tensor {i} has shape "
                             f"{tuple(t.shape)}")
    tensors = [t.reshape(-1) for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0  # the grid's dims: y's length first, then x's
    shape = tuple(len(tensors[k]) for k in order)
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(shape)
        view[order.index(i)] = -1
        grids.append(t.reshape(*view).expand(*shape))
    return tuple(grids)


def lerp(input, end, weight):  # noqa: A002 - torch's argument names
    """input + weight·(end − input), elementwise (torch.lerp); ``weight`` a number or a
    tensor, gradients to all three."""
    input = _t(input)  # noqa: A001
    return input + weight * (_t(end) - input)


def logaddexp(a, b):
    """log(eᵃ + eᵇ) without overflow (torch.logaddexp): the larger of the two plus
    log(1 + e^−|a − b|); its gradient is σ(a − b) to a and σ(b − a) to b."""
    a, b = _t(a), _t(b)
    with np.errstate(invalid="ignore"):  # a = b = ±inf: a − b is NaN, replaced just below
        gap = abs(a - b)
    gap = where(isnan(gap), 0.0, gap)  # then the answer is ±inf, not ∞ − ∞
    return maximum(a, b) + log1p(exp(-gap))


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise |a − b| ≤ atol + rtol·|b| (torch.isclose): a bool tensor, no gradient."""
    a, b = _as_array(a), _as_array(b)
    return Tensor(get_array_module(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
