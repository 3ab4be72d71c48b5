"""Dropout: during training, zero each unit with probability p and scale the rest by 1/(1 − p),
so the expected activation is unchanged and evaluation needs no rescaling (inverted dropout).

The mask is drawn from chainrule's one seeded generator (NumPy's) on every device, and sent to
the GPU when x is there (one byte per unit): a seed gives the same masks on the CPU and the GPU.
"""

from ..autograd.function import Function
from ..backend import get_array_module, on_host


def _mask(rng, shape, p, like):
    keep = rng.random(shape) >= p
    return keep if on_host(like) else get_array_module(like).asarray(keep)


class Dropout(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x·m/(1 − p) with m ~ Bernoulli(1 − p);  dy/dx = m/(1 − p)."""

    @staticmethod
    def forward(ctx, x, p, rng):
        keep = _mask(rng, x.shape, p, x)
        scale = (keep / (1.0 - p)).astype(x.dtype, copy=False)
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return g * scale, None, None


class ChannelDropout(Function, elementwise=True, moves_elements=False, number_operands=False,
                     infix=None):
    """Dropout2d: one keep/drop draw per channel (mask of shape (N, C, 1, 1)), broadcast over the
    channel's pixels;  y = x·m/(1 − p),  dy/dx = m/(1 − p)."""

    @staticmethod
    def forward(ctx, x, p, mask_shape, rng):
        keep = _mask(rng, mask_shape, p, x)
        scale = (keep / (1.0 - p)).astype(x.dtype, copy=False)
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return g * scale, None, None, None
