"""Ops that move numbers around without changing them: reshape, permute, indexing, concatenate,
stack, broadcast, repeat, flip, roll. Backward moves each gradient back to where its number came
from (and adds up the gradients of a number that was copied).
"""

import numbers

from ..autograd.array_function import ArrayFunction
from ..backend import get_array_module


class Reshape(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
              infix=None):
    """y = x viewed with another shape;  the gradient is g viewed with x's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
              infix=None):
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


class BroadcastTo(ArrayFunction, elementwise=True, moves_elements=False, number_operands=False,
                  infix=None):
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


def integers_first(index):
    """torch's order for an index that mixes integers with index arrays, or None if it does not.

    torch applies the integers first, as plain indexing, and then the arrays; NumPy counts an
    integer as one more index array, so ``x[0, :, [1, 2]]`` gets shape (2, 3) there and (3, 2) in
    torch. Returns ``(first, then)``: ``x[first][then]`` is torch's result, ``x[first]`` a view.
    """
    items = index if type(index) is tuple else (index,)
    integers = [isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in items]
    arrays = [getattr(i, "ndim", 0) > 0 for i in items]
    if not (any(integers) and any(arrays)):
        return None
    first, then = [], []
    for item, integer, array in zip(items, integers, arrays):
        if integer:
            first.append(item)
        elif array:  # a boolean mask stands for as many dims as it has
            first.extend([slice(None)] * (item.ndim if item.dtype == bool else 1))
            then.append(item)
        elif item is Ellipsis:
            first.append(item)
            then.append(item)
        else:  # a slice or None: done by the first step, kept as a whole dim by the second
            first.append(item)
            then.append(slice(None))
    return tuple(first), tuple(then)


class GetItem(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
              infix=None):
    """y = x[index];  each picked element's gradient goes back to its place, and an element
    picked several times (repeated integer indices) collects the sum of its gradients."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape = x.shape
        ctx.dtype = x.dtype
        ctx.split = integers_first(index)
        if ctx.split is not None:
            first, index = ctx.split
            x = x[first]
        ctx.index = index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        target = grad if ctx.split is None else grad[ctx.split[0]]  # a view: writes reach grad
        if _is_basic(ctx.index):
            target[ctx.index] = g
        else:
            xp.add.at(target, ctx.index, g)
        return grad, None


class Concatenate(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
                  infix=None):
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


class Stack(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
            infix=None):
    """y = [x₁, x₂, …] stacked along a new ``axis``;  input i gets g taken at position i."""

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        return get_array_module(xs[0]).stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        return (None, *(xp.take(g, i, axis=ctx.axis) for i in range(g.shape[ctx.axis])))


class Repeat(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
             infix=None):
    """y = x tiled ``reps`` times along each axis (torch's ``repeat``);  each element of x
    appears once per tile, so its gradient is the sum of g over its copies."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        ctx.reps = reps
        return get_array_module(x).tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        # x is padded with leading 1s to len(reps) dims; split each axis of g into
        # (copies, size) and sum over the copies
        sizes = (1,) * (len(ctx.reps) - len(ctx.shape)) + tuple(ctx.shape)
        pairs = []
        for r, n in zip(ctx.reps, sizes):
            pairs += [r, n]
        summed = g.reshape(pairs).sum(axis=tuple(range(0, len(pairs), 2)))
        return summed.reshape(ctx.shape), None


class Flip(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False, infix=None):
    """y = x with the order of its elements reversed along ``axes``;  the gradient is g flipped
    back the same way."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return get_array_module(x).flip(x, axes)

    @staticmethod
    def backward(ctx, g):
        return get_array_module(g).flip(g, ctx.axes), None


class Roll(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False, infix=None):
    """y = x shifted cyclically by ``shifts`` along ``axes`` (all elements, flattened, when axes
    is None);  the gradient is g rolled back by the opposite shifts."""

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts = shifts
        ctx.axes = axes
        return get_array_module(x).roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return get_array_module(g).roll(g, back, ctx.axes), None, None
