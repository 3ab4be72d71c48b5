"""Sorting: the order of the elements along one axis (sort, argsort, topk).

The order itself is a list of indices and has no gradient. The sorted values are the input's
elements picked in that order, so each value's gradient goes back to the element it was picked
from, and elements that were not picked (by topk) get 0.
"""

from ..autograd.array_function import ArrayFunction
from ..backend import get_array_module


def sort_order(x, axis, descending=False):
    """The indices that sort x along ``axis`` (int64). Always stable: equal elements keep their
    order, also when descending. NaN counts as the largest value, as in torch."""
    xp = get_array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable").astype(xp.int64)
    # Sorting the reversed axis and reversing the answer gives a descending order in which ties
    # still come in their original order (argsort of -x would reverse ties and fails on bools).
    backwards = xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable")
    return (x.shape[axis] - 1 - xp.flip(backwards, axis=axis)).astype(xp.int64)


class TakeAlongAxis(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
                    infix=None):
    """y = x picked at ``indices`` along ``axis`` (indices from a sort: no element twice);
    dL/dx = g put back where each value was picked from, 0 for elements never picked."""

    @staticmethod
    def forward(ctx, x, indices, axis):
        xp = get_array_module(x)
        ctx.shape = x.shape
        ctx.save_for_backward(indices)
        ctx.axis = axis
        return xp.take_along_axis(x, indices, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        xp = get_array_module(g)
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(grad, indices, g, axis=ctx.axis)
        return grad, None, None
