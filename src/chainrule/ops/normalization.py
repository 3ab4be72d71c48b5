"""Normalisation as one node: subtract a mean, divide by a standard deviation, then scale and
shift with learned γ and β.

    x̂ = (x − μ)·s,   s = 1/√(σ² + ε),   y = γ·x̂ + β

Batch normalisation takes μ and σ² per channel over the batch (and the pixels); layer
normalisation per sample over its last dims. When μ and σ² come from the same x, the
gradient flows through them too, and the three paths (direct, via μ, via σ²) add up to

    dL/dx = s/m · (m·ĝ − Σĝ − x̂·Σ(ĝ·x̂)),   ĝ = γ·G,  sums over the m values normalised together

    dL/dγ = Σ G·x̂,   dL/dβ = Σ G   (sums over everything but the channel)

With fixed statistics (batch norm in eval mode: the running averages) the layer is an affine map
and dL/dx = γ·s·G.
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module


def normalized_backward(g_hat, x_hat, inv_std, axes):
    """dL/dx when μ and σ² are the mean and biased variance of x over ``axes``."""
    m = np.prod([x_hat.shape[a] for a in axes])
    sum_g = g_hat.sum(axis=axes, keepdims=True)
    sum_gx = (g_hat * x_hat).sum(axis=axes, keepdims=True)
    return (inv_std / m) * (m * g_hat - sum_g - x_hat * sum_gx)


class BatchNorm(Function, elementwise=False, moves_elements=False, number_operands=False,
                infix=None):
    """Normalise each channel (axis 1) with ``mean`` and ``var`` given per channel.

    ``batch_stats`` says they are this batch's own mean and biased variance (training), so the
    gradient flows through them; otherwise they are constants (eval, the running averages).
    """

    capturable = False  # chainrule.compile refuses it, saying why:
    not_capturable_because = (
        "in training its batch statistics are computed outside the op "
        "(nn.functional.batch_norm) and reach it as constants, so a replay would reuse the "
        "first batch's")

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, eps, batch_stats):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        xp = get_array_module(x)
        inv_std = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(shape)
        x_hat = (x - mean.astype(x.dtype, copy=False).reshape(shape)) * inv_std
        y = x_hat
        if weight is not None:
            y = y * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.batch_stats = batch_stats
        return y

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        axes = (0,) + tuple(range(2, g.ndim))
        shape = inv_std.shape
        gw = (g * x_hat).sum(axis=axes) if ctx.needs_grad(1) else None
        gb = g.sum(axis=axes) if ctx.needs_grad(2) else None
        gx = None
        if ctx.needs_grad(0):
            g_hat = g if weight is None else g * weight.reshape(shape)
            if ctx.batch_stats:
                gx = normalized_backward(g_hat, x_hat, inv_std, axes)
            else:
                gx = g_hat * inv_std
        return gx, gw, gb, None, None, None, None


class LayerNorm(Function, elementwise=False, moves_elements=False, number_operands=False,
                infix=None):
    """Normalise each sample over its last ``n_dims`` dims; γ and β have those dims' shape."""

    @staticmethod
    def forward(ctx, x, weight, bias, n_dims, eps):
        axes = tuple(range(x.ndim - n_dims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        inv_std = 1.0 / get_array_module(x).sqrt(var + eps)
        x_hat = centred * inv_std
        y = x_hat
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes = axes
        return y

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        axes = ctx.axes
        lead = tuple(range(g.ndim - len(axes)))
        gw = (g * x_hat).sum(axis=lead) if ctx.needs_grad(1) else None
        gb = g.sum(axis=lead) if ctx.needs_grad(2) else None
        gx = None
        if ctx.needs_grad(0):
            g_hat = g if weight is None else g * weight
            gx = normalized_backward(g_hat, x_hat, inv_std, axes)
        return gx, gw, gb, None, None
