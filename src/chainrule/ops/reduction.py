"""Reductions: sum, mean, max, min, the standard deviation and the Euclidean norm over all
elements or over some axes.

Backward spreads the upstream gradient back over the reduced axes: every summed element gets g,
every averaged element g/n, and the maximum (or minimum) element gets it all (ties share it evenly).
"""

import numbers

from ..autograd.function import Function
from ..backend import get_array_module


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


def mean_array(x, axes=None, keepdims=False):
    """``x.mean`` without NumPy's Python-level wrapper: every loss ends in a mean, so this is on
    the hot path of every training step (benchmarks/training_throughput.py, W2)."""
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        return x.mean(axis=axes, keepdims=keepdims)  # float16 wants NumPy's wider accumulator
    n = x.size
    if axes is not None:
        n = 1
        for a in axes:
            n *= x.shape[a]
    xp = get_array_module(x)
    return xp.add.reduce(x, axis=axes, keepdims=keepdims) / x.dtype.type(n)


def _expand(g, shape, axes, keepdims):
    """Put the reduced axes back into g (as size 1) so it broadcasts against the input."""
    if not keepdims and axes:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function):
    """y = Σ x;  dy/dx = 1: every element that was summed receives the upstream gradient."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape = x.shape
        ctx.axes = normalize_axis(axis, x.ndim, "sum")
        ctx.keepdims = keepdims
        return x.sum(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        g = _expand(g, ctx.shape, ctx.axes, ctx.keepdims)
        return get_array_module(g).broadcast_to(g, ctx.shape)


class Mean(Function):
    """y = (1/n) Σ x;  dy/dx = 1/n."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape = x.shape
        ctx.axes = normalize_axis(axis, x.ndim, "mean")
        ctx.keepdims = keepdims
        return mean_array(x, ctx.axes, keepdims)

    @staticmethod
    def backward(ctx, g):
        n = 1
        for a in ctx.axes:
            n *= ctx.shape[a]
        g = _expand(g, ctx.shape, ctx.axes, ctx.keepdims) / n
        return get_array_module(g).broadcast_to(g, ctx.shape)


class Max(Function):
    """y = max x;  dy/dx = 1 at the maximum (shared evenly by ties), 0 elsewhere."""

    pick = "max"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, ctx.pick)
        if any(x.shape[a] == 0 for a in axes):  # an empty batch along other dims is fine
            raise ValueError(f"{type(ctx).__name__.lower()} of an empty tensor over dim(s) "
                             f"{axes} has no value")
        y = getattr(x, ctx.pick)(axis=axes, keepdims=True)
        ctx.save_for_backward(x, y)
        ctx.axes = axes
        return y if keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _expand(g, x.shape, ctx.axes, False) if g.ndim != x.ndim else g
        hit = x == y
        xp = get_array_module(x)
        if xp.isnan(y).any():  # NaN is the maximum (as in torch) but never equals itself
            hit |= xp.isnan(x) & xp.isnan(y)
        count = hit.sum(axis=ctx.axes, keepdims=True)
        return g * hit / count


class Min(Max):
    """y = min x;  dy/dx = 1 at the minimum (shared evenly by ties), 0 elsewhere."""

    pick = "min"


class Norm(Function):
    """y = √(Σ x²) over ``axes``;  dy/dx = x / y, taken as 0 where y = 0 (as torch does), so a
    zero vector's norm does not send NaN back."""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        xp = get_array_module(x)
        y = xp.sqrt(xp.add.reduce(x * x, axis=axes, keepdims=True))
        ctx.save_for_backward(x, y)
        return y if keepdims else xp.squeeze(y, axis=axes)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xp = get_array_module(x)
        g = xp.reshape(g, y.shape)
        safe = xp.where(y > 0, y, 1)
        return xp.where(y > 0, g * x / safe, 0), None, None


class StdFromVariance(Function):
    """y = √v, v a variance;  dy/dv = 1/(2y), taken as 0 where y = 0 (as torch's std does), so
    the std of equal values sends back 0, not NaN (a plain sqrt would give inf·0)."""

    @staticmethod
    def forward(ctx, v):
        y = get_array_module(v).sqrt(v)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = get_array_module(y)
        return xp.where(y > 0, g / (2 * xp.where(y > 0, y, 1)), 0)
