"""The embedding lookup as one node: row i of the weight matrix is the vector of token i.

    y = W[idx]          dL/dW[i] = Σ of G over every position where idx = i

(The same as a one-hot vector times W, without building the one-hot matrix.) The row at
``padding_idx`` gets no gradient, so a padding token's vector stays as it was.
"""

from ..autograd.function import Function
from ..backend import get_array_module


class Embedding(Function, elementwise=False, moves_elements=False, number_operands=False,
                infix=None):
    """y = W[idx] for an integer array ``idx`` of any shape; y has shape idx.shape + (dim,)."""

    @staticmethod
    def forward(ctx, weight, idx, padding_idx):
        ctx.save_for_backward(idx)
        ctx.weight_shape = weight.shape
        ctx.padding_idx = padding_idx
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        xp = get_array_module(g)
        gw = xp.zeros(ctx.weight_shape, dtype=g.dtype)
        xp.add.at(gw, idx.reshape(-1), g.reshape(-1, ctx.weight_shape[1]))  # repeats add up
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw, None, None
