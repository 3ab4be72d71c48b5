"""Activation functions: what a neuron does to its weighted sum (the notes' h(a)).

Each is one node whose local gradient is the activation's derivative at the input:

=============  =====================================  ==========================================
name           y = h(x)                               dy/dx
=============  =====================================  ==========================================
step           1 if x > 0 else 0                      0 (no gradient: why backprop needs more)
sigmoid        1 / (1 + e⁻ˣ)                          y(1 − y)   (≤ 0.25: gradients vanish)
tanh           (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)                1 − y²     (≤ 1, ~0 when saturated)
relu           max(0, x)                              1 if x > 0 else 0  (0 at x = 0, as torch)
leaky_relu     x if x > 0 else slope·x                1 if x > 0 else slope
elu            x if x > 0 else α(eˣ − 1)              1 if x > 0 else y + α
softmax        eˣⁱ / Σⱼ eˣʲ                           yᵢ(gᵢ − Σⱼ gⱼyⱼ)  (vector-Jacobian product)
log_softmax    xᵢ − log Σⱼ eˣʲ                        gᵢ − softmaxᵢ · Σⱼ gⱼ
=============  =====================================  ==========================================
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module


class Step(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """The perceptron's step function. Its derivative is 0 everywhere it exists, so no gradient
    flows through it: this is why the notes replace it by sigmoid before backpropagation."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return (x > 0).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return get_array_module(g).zeros(ctx.shape, dtype=g.dtype)


def sigmoid_array(x):
    """σ(x) = 1/(1 + e⁻ˣ), exactly as written, in four in-place passes.

    For very negative x, e⁻ˣ overflows to inf and 1/(1 + inf) = 0, which is the correctly
    rounded σ(x): the overflow is expected, so its warning is silenced. Never NaN.
    """
    xp = get_array_module(x)
    if x.dtype.kind != "f":
        x = x.astype(xp.float32)
    y = xp.negative(x, out=xp.empty_like(x))  # out=: a 0-d input stays an array
    with np.errstate(over="ignore"):
        xp.exp(y, out=y)
    y += 1
    return xp.reciprocal(y, out=y)


class Sigmoid(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = 1 / (1 + e⁻ˣ);  dy/dx = y·(1 − y)."""

    @staticmethod
    def forward(ctx, x):
        y = sigmoid_array(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        local = 1 - y
        local *= y  # σ'(x) = y(1 − y), built in one buffer
        local *= g
        return local


class Tanh(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = tanh x;  dy/dx = 1 − y²."""

    @staticmethod
    def forward(ctx, x):
        y = get_array_module(x).tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = get_array_module(y)
        local = xp.multiply(y, y, out=xp.empty_like(y))  # out=: a 0-d result stays an array
        xp.subtract(1, local, out=local)  # tanh'(x) = 1 − y²
        local *= g
        return local


class ReLU(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = max(0, x);  dy/dx = 1 for x > 0 and 0 for x ≤ 0 (at the kink we take 0, as torch)."""

    @staticmethod
    def forward(ctx, x):
        y = get_array_module(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y > 0)


class LeakyReLU(Function, elementwise=True, moves_elements=False, number_operands=False,
                infix=None):
    """y = x for x > 0 else slope·x;  dy/dx = 1 or slope (slope at x = 0, as torch)."""

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return get_array_module(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return get_array_module(g).where(x > 0, g, g * ctx.slope), None


class ELU(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x for x > 0 else α(eˣ − 1);  dy/dx = 1 or α·eˣ = y + α."""

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        xp = get_array_module(x)
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        # tested as x <= 0, as torch: a NaN input takes the identity branch's g, not NaN
        return get_array_module(g).where(x <= 0, g * (y + ctx.alpha), g), None


def softmax_array(x, axis):
    """Softmax along ``axis``, shifted by the max so eˣ never overflows (the max of an empty axis
    is taken as −inf, so zero classes give an empty result, as torch, not an error)."""
    xp = get_array_module(x)
    if x.dtype.kind != "f":  # integer logits give torch's default float (and admit −inf)
        x = x.astype(xp.float32)
    with np.errstate(invalid="ignore"):  # an inf logit makes inf − inf: NaN, as torch
        e = xp.exp(x - x.max(axis=axis, keepdims=True, initial=-xp.inf))
        return e / e.sum(axis=axis, keepdims=True)


def log_softmax_array(x, axis):
    """log softmax along ``axis`` as x − max − log Σ e^(x − max): finite for any finite x; an
    empty axis (max −inf) gives an empty result, as torch."""
    xp = get_array_module(x)
    if x.dtype.kind != "f":  # integer logits give torch's default float (and admit −inf)
        x = x.astype(xp.float32)
    if x.size == 0:  # nothing to normalise (and log Σ over an empty axis would warn log(0))
        return xp.empty_like(x)
    with np.errstate(invalid="ignore"):  # an inf logit makes inf − inf: NaN, as torch
        shifted = x - x.max(axis=axis, keepdims=True, initial=-xp.inf)
        return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """yᵢ = eˣⁱ / Σⱼ eˣʲ;  dL/dxᵢ = yᵢ·(gᵢ − Σⱼ gⱼ·yⱼ)."""

    @staticmethod
    def forward(ctx, x, dim=-1):
        y = softmax_array(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(axis=ctx.dim, keepdims=True), None


class LogSoftmax(Function, elementwise=False, moves_elements=False, number_operands=False,
                 infix=None):
    """yᵢ = xᵢ − log Σⱼ eˣʲ;  dL/dxᵢ = gᵢ − softmaxᵢ·Σⱼ gⱼ."""

    @staticmethod
    def forward(ctx, x, dim=-1):
        y = log_softmax_array(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = get_array_module(g)
        return g - xp.exp(y) * g.sum(axis=ctx.dim, keepdims=True), None
