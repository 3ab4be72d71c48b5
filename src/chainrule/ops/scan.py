"""Scans: running totals along one axis (torch's cumsum).

Element i of the output adds up elements 0 … i of the input, so input j reaches every output
i ≥ j: its gradient is the sum of g over those outputs, a running total taken from the end.
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module


class CumSum(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """yᵢ = Σ_{j≤i} xⱼ along ``axis``;  dL/dxⱼ = Σ_{i≥j} gᵢ, the cumsum of g run backwards."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = get_array_module(x)
        if x.dtype.kind in "biu":  # as torch, integers and booleans add up in int64
            x = x.astype(xp.int64)
        ctx.axis = axis
        with np.errstate(over="ignore"):  # past the dtype's range: ±inf, as torch
            return xp.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        reversed_g = xp.flip(g, axis=ctx.axis)
        return xp.flip(xp.cumsum(reversed_g, axis=ctx.axis), axis=ctx.axis), None
