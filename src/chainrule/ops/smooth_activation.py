"""Smooth relatives of the ReLU, used by modern networks (transformers, EfficientNet):

=============  ========================================  =======================================
name           y = h(x)                                  dy/dx
=============  ========================================  =======================================
gelu           x·Φ(x), Φ the normal CDF                   Φ(x) + x·φ(x),  φ the normal density
gelu (tanh)    ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³) ½(1 + t) + ½x(1 − t²)·du/dx
silu (swish)   x·σ(x)                                    σ(x)·(1 + x(1 − σ(x)))
softplus       log(1 + e^(βx))/β  (x where βx > thr.)     σ(βx)  (1 where βx > threshold)
=============  ========================================  =======================================

Φ needs the error function, which NumPy does not have: SciPy's is used when it is installed
(it comes with scikit-learn), else Python's ``math.erf`` element by element (exact, slower).
"""

import math

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from .activation import sigmoid_array

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715


def erf(x):
    if get_array_module(x) is not np:  # on a GPU: CuPy's own, in its SciPy-like namespace
        from cupyx.scipy.special import erf as cupy_erf

        return cupy_erf(x)
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:  # the core needs only NumPy
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return scipy_erf(x)


class GELU(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x·Φ(x): the input weighted by how likely a standard normal is below it."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            t = get_array_module(x).tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3))
            ctx.t = t
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + erf(x / math.sqrt(2.0)))
        ctx.cdf = cdf
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ctx.t
            du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du), None
        density = get_array_module(x).exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (ctx.cdf + x * density), None


class SiLU(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x·σ(x) (also called swish)."""

    @staticmethod
    def forward(ctx, x):
        s = sigmoid_array(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


class Softplus(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = log(1 + e^(βx))/β, a smooth ReLU; where βx > threshold, y = x (as torch)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        linear = bx > threshold
        ctx.save_for_backward(bx, linear)
        xp = get_array_module(x)
        return xp.where(linear, x, xp.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        bx, linear = ctx.saved_tensors
        return get_array_module(g).where(linear, g, g * sigmoid_array(bx)), None, None
