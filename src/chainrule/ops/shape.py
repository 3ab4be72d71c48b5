"""Ops that move numbers around without changing them: reshape, permute, indexing, concatenate,
stack, broadcast. Backward moves each gradient back to where its number came from.
"""

from ..autograd.function import Function
from ..backend import get_array_module


class Reshape(Function):
    """y = x viewed with another shape;  the gradient is g viewed with x's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    """y = x with its axes reordered;  the gradient is g with the inverse order."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return g.transpose(inverse), None


class BroadcastTo(Function):
    """y = x copied along broadcast axes;  the engine sums g back to x's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        return get_array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _is_basic(index):
    """True when the index is made of ints, slices, None and Ellipsis only (no repeats possible)."""
    items = index if type(index) is tuple else (index,)
    return all(i is None or i is Ellipsis or type(i) in (int, slice) for i in items)


class GetItem(Function):
    """y = x[index];  each picked element's gradient goes back to its place, and an element
    picked several times (repeated integer indices) collects the sum of its gradients."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape = x.shape
        ctx.dtype = x.dtype
        ctx.index = index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        if _is_basic(ctx.index):
            grad[ctx.index] = g
        else:
            xp.add.at(grad, ctx.index, g)
        return grad, None


class Concatenate(Function):
    """y = [x₁, x₂, …] joined along ``axis``;  each input gets its own slice of g."""

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return get_array_module(xs[0]).concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        cuts = []
        total = 0
        for n in ctx.sizes[:-1]:
            total += n
            cuts.append(total)
        return (None, *xp.split(g, cuts, axis=ctx.axis))


class Stack(Function):
    """y = [x₁, x₂, …] stacked along a new ``axis``;  input i gets g taken at position i."""

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        return get_array_module(xs[0]).stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        return (None, *(xp.take(g, i, axis=ctx.axis) for i in range(g.shape[ctx.axis])))
