"""Elementwise functions: exp, log, sqrt, abs, sin, cos, log1p, expm1, sign, clip, maximum,
minimum, where.

Each local gradient is the derivative of the function at the input, multiplied by the upstream g.
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module


class Exp(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = eˣ;  dy/dx = eˣ = y (the output is saved, not recomputed). Past the dtype's range
    eˣ is inf, the right limit (as torch), so NumPy's overflow warning is silenced."""

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        with np.errstate(over="ignore"):
            y = xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Log(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = ln x;  dy/dx = 1/x. At x = 0 these are −inf and inf, the right limits, and for x < 0
    ln x is NaN (as torch), so NumPy's divide-by-zero and invalid-value warnings are silenced."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / x


class Sqrt(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = √x;  dy/dx = 1/(2√x), inf at x = 0 as in torch (no divide-by-zero warning); √x of
    x < 0 is NaN, as torch, without NumPy's invalid-value warning."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = get_array_module(x).sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (2 * y)


class Abs(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = |x|;  dy/dx = sign(x), taken as 0 at x = 0 (as torch does)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * get_array_module(x).sign(x)


class Sin(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = sin x;  dy/dx = cos x. sin ±inf is NaN, as torch, without NumPy's warning."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = get_array_module(x)
        with np.errstate(invalid="ignore"):
            return xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * get_array_module(x).cos(x)


class Cos(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = cos x;  dy/dx = −sin x. cos ±inf is NaN, as torch, without NumPy's warning."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = get_array_module(x)
        with np.errstate(invalid="ignore"):
            return xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * get_array_module(x).sin(x)


class Log1p(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = ln(1 + x), accurate for tiny x;  dy/dx = 1/(1 + x). At x = −1 these are −inf and inf,
    below it NaN, as torch, without NumPy's divide-by-zero and invalid-value warnings."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 + x)


class Expm1(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = eˣ − 1, accurate for tiny x;  dy/dx = eˣ = y + 1. Overflow gives inf, as torch,
    without NumPy's warning."""

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        with np.errstate(over="ignore"):
            y = xp.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class Sign(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = sign x (−1, 0 or 1);  dy/dx = 0 wherever it exists, so no gradient flows (as torch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return get_array_module(x).sign(x)

    @staticmethod
    def backward(ctx, g):
        return get_array_module(g).zeros(ctx.shape, dtype=g.dtype)


class Round(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x rounded ("round": to the nearest, halves to even; "floor"; "ceil"), as torch's
    round, floor and ceil;  dy/dx = 0 wherever it exists, so no gradient flows (as torch)."""

    @staticmethod
    def forward(ctx, x, how):
        ctx.shape = x.shape
        xp = get_array_module(x)
        return {"round": xp.round, "floor": xp.floor, "ceil": xp.ceil}[how](x)

    @staticmethod
    def backward(ctx, g):
        return get_array_module(g).zeros(ctx.shape, dtype=g.dtype), None


class Clip(Function, elementwise=True, moves_elements=False, number_operands=True, infix=None):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo ≤ x ≤ hi, else 0 (torch's clamp).
    Tensor bounds get the rest, as in torch: dy/dlo = 1 where x < lo ≤ hi, dy/dhi = 1 where
    max(x, lo) > hi (so a lower bound above the upper one passes it to the upper one)."""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = inside & (x <= hi)
        ctx.save_for_backward(inside, x, lo, hi)
        return get_array_module(x).clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        inside, x, lo, hi = ctx.saved_tensors
        g_lo = g_hi = None
        if ctx.needs_grad(1):
            g_lo = g * ((x < lo) & (lo <= hi) if hi is not None else x < lo)
        if ctx.needs_grad(2):
            g_hi = g * ((x if lo is None else get_array_module(x).maximum(x, lo)) > hi)
        return g * inside, g_lo, g_hi


class Maximum(Function, elementwise=True, moves_elements=False, number_operands=True, infix=None):
    """y = max(a, b) elementwise;  the larger input gets g, a tie splits it half and half."""

    @staticmethod
    def forward(ctx, a, b):
        xp = get_array_module(a)
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        ga = g * share_a if ctx.needs_grad(0) else None
        gb = g * (1 - share_a) if ctx.needs_grad(1) else None
        return ga, gb


class Minimum(Function, elementwise=True, moves_elements=False, number_operands=True, infix=None):
    """y = min(a, b) elementwise;  the smaller input gets g, a tie splits it half and half."""

    @staticmethod
    def forward(ctx, a, b):
        xp = get_array_module(a)
        ctx.save_for_backward(a, b)
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share_a = (a < b) + 0.5 * (a == b)
        ga = g * share_a if ctx.needs_grad(0) else None
        gb = g * (1 - share_a) if ctx.needs_grad(1) else None
        return ga, gb


class Where(Function, elementwise=True, moves_elements=False, number_operands=True, infix=None):
    """y = a where cond else b;  g flows to a where cond holds and to b elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        xp = get_array_module(a if hasattr(a, "shape") else cond)
        cond = xp.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        ga = g * cond if ctx.needs_grad(1) else None
        gb = g * ~cond if ctx.needs_grad(2) else None
        return None, ga, gb
