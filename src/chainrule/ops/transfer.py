"""Copying a tensor to another device as an op, so the gradient finds its way back.

    y = x, held on another device (``x.to("cuda")``, ``x.cpu()``)     dL/dx = G, copied back

A value copied to the GPU and used there gets its gradient on the GPU; the chain rule for a copy
is the identity, so the only work of backward is to copy G to where x lives.
"""

from ..autograd.function import Function
from ..devices import device_of, move


class ToDevice(Function, elementwise=True, moves_elements=False, number_operands=False,
               infix=None):
    """y = x on ``target`` (a ``device``);  dL/dx = G on x's device."""

    @staticmethod
    def forward(ctx, x, target):
        ctx.source = device_of(x)
        return move(x, target)

    @staticmethod
    def backward(ctx, g):
        return move(g, ctx.source), None
