"""Dropout: during training, zero each unit with probability p and scale the rest by 1/(1 − p),
so the expected activation is unchanged and evaluation needs no rescaling (inverted dropout)."""

from ..autograd.array_function import ArrayFunction


class Dropout(ArrayFunction, elementwise=True, moves_elements=False, number_operands=False,
              infix=None):
    """y = x·m/(1 − p) with m ~ Bernoulli(1 − p);  dy/dx = m/(1 − p)."""

    @staticmethod
    def forward(ctx, x, p, rng):
        keep = rng.random(x.shape) >= p
        scale = (keep / (1.0 - p)).astype(x.dtype, copy=False)
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return g * scale, None, None


class ChannelDropout(ArrayFunction, elementwise=True, moves_elements=False, number_operands=False,
                     infix=None):
    """Dropout2d: one keep/drop draw per channel (mask of shape (N, C, 1, 1)), broadcast over the
    channel's pixels;  y = x·m/(1 − p),  dy/dx = m/(1 − p)."""

    @staticmethod
    def forward(ctx, x, p, mask_shape, rng):
        keep = rng.random(mask_shape) >= p
        scale = (keep / (1.0 - p)).astype(x.dtype, copy=False)
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return g * scale, None, None, None
