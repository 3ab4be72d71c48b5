"""Reductions: sum, mean, max, min, the standard deviation, the Euclidean norm, log-sum-exp and
the product over all elements or over some axes.

Backward spreads the upstream gradient back over the reduced axes: every summed element gets g,
every averaged element g/n, and the maximum (or minimum) element gets it all (ties share it evenly).
"""


import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..torch_args import dim_index, normalize_axis  # noqa: F401 - ops import them from here
from .elementwise import Sqrt


def mean_array(x, axes=None, keepdims=False):
    """``x.mean`` without NumPy's Python-level wrapper: every loss ends in a mean, so this is on
    the hot path of every training step (benchmarks/training_throughput.py, W2)."""
    n = x.size
    if axes is not None:
        n = 1
        for a in axes:
            n *= x.shape[a]
    xp = get_array_module(x)
    if not n and x.dtype.kind == "f":  # the mean of nothing is NaN, as torch, without 0/0's warning
        return xp.full_like(xp.add.reduce(x, axis=axes, keepdims=keepdims), xp.nan)
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        return x.mean(axis=axes, keepdims=keepdims)  # float16 wants NumPy's wider accumulator
    return xp.add.reduce(x, axis=axes, keepdims=keepdims) / x.dtype.type(n)


def divide_by_count(g, n):
    """g/n, the gradient of a mean. float16 cannot hold a count past 65504 (g/n would divide by
    inf and send back 0), so there g is multiplied by 1/n instead; an empty input (n = 0) has no
    element to send g to, so it is left undivided rather than warn about 0 division."""
    if g.dtype.itemsize == 2:
        return g * (1 / n) if n else g
    return g / (n or 1)


def _expand(g, shape, axes, keepdims):
    """Put the reduced axes back into g (as size 1) so it broadcasts against the input."""
    if not keepdims and axes:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function, elementwise=True, moves_elements=True, number_operands=False, infix=None):
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


class Mean(Function, elementwise=True, moves_elements=True, number_operands=False, infix=None):
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
        g = divide_by_count(_expand(g, ctx.shape, ctx.axes, ctx.keepdims), n)
        return get_array_module(g).broadcast_to(g, ctx.shape)


class Max(Function, elementwise=True, moves_elements=True, number_operands=False, infix=None):
    """y = max x;  dy/dx = 1 at the maximum (shared evenly by ties), 0 elsewhere."""

    pick = "max"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        name = type(ctx).__name__.lower()  # max, min, amax or amin, for the error messages
        axes = normalize_axis(axis, x.ndim, name)
        if any(x.shape[a] == 0 for a in axes):  # an empty batch along other dims is fine
            raise ValueError(f"{name} of an empty tensor over dim(s) "
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
        # NaN is the maximum (as in torch) but never equals itself. Asking first whether there
        # is one would wait for a GPU, so there the NaN test always runs.
        if xp is not np or xp.isnan(y).any():
            hit |= xp.isnan(x) & xp.isnan(y)
        count = hit.sum(axis=ctx.axes, keepdims=True)
        return g * hit / count


class Min(Max):
    """y = min x;  dy/dx = 1 at the minimum (shared evenly by ties), 0 elsewhere."""

    pick = "min"


class Norm(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """y = √(Σ x²) over ``axes``;  dy/dx = x / y, taken as 0 where y = 0 (as torch does), so a
    zero vector's norm does not send NaN back."""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        xp = get_array_module(x)
        with np.errstate(over="ignore"):  # past the dtype's range the norm is inf, as torch
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


class StdFromVariance(Sqrt, elementwise=False, moves_elements=False, number_operands=False,
                      infix=None):
    """y = √v, v a variance (Sqrt's forward);  dy/dv = 1/(2y), taken as 0 where y = 0 (as torch's
    std does), so the std of equal values sends back 0, not NaN (Sqrt's would give inf·0)."""

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = get_array_module(y)
        return xp.where(y > 0, g / (2 * xp.where(y > 0, y, 1)), 0)


class Amax(Max):
    """torch's amax: y = max x over dims;  dy/dx = 1 at the maximum, ties share it evenly."""


class Amin(Min):
    """torch's amin: y = min x over dims;  dy/dx = 1 at the minimum, ties share it evenly."""


class LogSumExp(Function, elementwise=True, moves_elements=True, number_operands=False, infix=None):
    """y = log Σ eˣ, computed as m + log Σ eˣ⁻ᵐ with m = max x so no eˣ overflows;
    dy/dx = eˣ⁻ʸ (the softmax of x). As in torch, where y is ±inf that gives NaN."""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        xp = get_array_module(x)
        if x.dtype.kind != "f":  # integers and booleans give torch's default float
            x = x.astype(xp.float32)
        m = xp.max(x, axis=axes, keepdims=True, initial=-xp.inf)  # -inf over an empty dim
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or an inf) would make x - m NaN
        with np.errstate(divide="ignore"):  # log 0 = -inf when every element is -inf
            y = xp.log(xp.add.reduce(xp.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, y)
        return y if keepdims else xp.squeeze(y, axis=axes)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xp = get_array_module(x)
        with np.errstate(invalid="ignore"):  # inf - inf where y is infinite: NaN, as torch
            return xp.reshape(g, y.shape) * xp.exp(x - y), None, None


def products_of_the_others(x, axis):
    """For each element of x, the product of the other elements along ``axis``: the product of
    those before it times the product of those after it (no division, so zeros are fine)."""
    xp = get_array_module(x)
    x = xp.moveaxis(x, axis, -1)
    before = xp.ones_like(x)
    before[..., 1:] = xp.cumprod(x[..., :-1], axis=-1)
    after = xp.ones_like(x)
    after[..., :-1] = xp.cumprod(x[..., :0:-1], axis=-1)[..., ::-1]
    return xp.moveaxis(before * after, -1, axis)


class Prod(Function, elementwise=True, moves_elements=True, number_operands=False, infix=None):
    """y = Π x over one axis (or all elements);  dy/dxᵢ = Π_{j≠i} xⱼ, the product of the others,
    found from running products rather than y/xᵢ, so it stays right when x holds zeros."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        xp = get_array_module(x)
        if x.dtype.kind in "biu":  # as torch, integers and booleans multiply in int64
            x = x.astype(xp.int64)
        ctx.save_for_backward(x)
        ctx.axis = axis
        ctx.keepdims = keepdims
        with np.errstate(over="ignore"):  # past the dtype's range: ±inf, as torch
            return xp.prod(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = get_array_module(x)
        if ctx.axis is None:  # all elements: one long axis
            others = products_of_the_others(x.reshape(-1), 0).reshape(x.shape)
            return xp.reshape(g, ()) * others, None, None
        g = g if ctx.keepdims else xp.expand_dims(g, ctx.axis)
        return g * products_of_the_others(x, ctx.axis), None, None
