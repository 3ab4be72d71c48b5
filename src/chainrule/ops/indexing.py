"""Picking elements by an index tensor: ``gather`` and ``index_select``.

Backward sends each picked element's gradient back to the place it was picked from; an element
picked several times collects the sum of its gradients (``add.at``, which does not drop repeats).
The methods on ``Tensor`` check the index (dtype, shape, range) before these ops run.
"""

from ..autograd.array_function import ArrayFunction
from ..backend import get_array_module


def _gather_index(index, axis):
    """The full NumPy index for ``gather``: position i of the output reads x at i, except along
    ``axis``, where it reads ``index[i]``."""
    xp = get_array_module(index)
    where = list(xp.indices(index.shape, sparse=True))
    where[axis] = index
    return tuple(where)


class Gather(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
             infix=None):
    """y[i][j][k] = x[index[i][j][k]][j][k] (for axis 0, and likewise for the others);
    dx = g added at the places the index picked (repeats add up)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.shape = x.shape
        ctx.where = _gather_index(index, axis)
        return x[ctx.where]

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.add.at(grad, ctx.where, g)
        return grad, None, None


class IndexSelect(Gather):
    """y = the slices of x at positions ``index`` along ``axis`` (a 1-d integer index);
    dx = each slice of g added back at its position (repeats add up), as for ``Gather``."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.shape = x.shape
        ctx.where = (slice(None),) * axis + (index,)
        return x[ctx.where]
