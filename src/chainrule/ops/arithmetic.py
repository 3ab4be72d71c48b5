"""+ − × ÷, negation, powers and dtype casts.

Gradients keep the broadcast shape; the engine sums them back to each input's shape.
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module


class Add(Function, elementwise=True, moves_elements=False, number_operands=True, infix="+"):
    """z = a + b;  dz/da = 1, dz/db = 1: the upstream gradient passes through unchanged."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function, elementwise=True, moves_elements=False, number_operands=True, infix="-"):
    """z = a − b;  dz/da = 1, dz/db = −1."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_grad(1) else None)


class Mul(Function, elementwise=True, moves_elements=False, number_operands=True, infix="·"):
    """z = a·b;  dz/da = b, dz/db = a (each input's gradient is the *other* input times g)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_grad(0) else None), (g * a if ctx.needs_grad(1) else None)


class Div(Function, elementwise=True, moves_elements=False, number_operands=True, infix="/"):
    """z = a / b;  dz/da = 1/b, dz/db = −a/b². Dividing by 0 gives ±inf (0/0 NaN), as torch,
    without NumPy's warning."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        gb = -ga * a / b if ctx.needs_grad(1) else None
        return ga if ctx.needs_grad(0) else None, gb


class FloorDivide(Function, elementwise=True, moves_elements=False, number_operands=True,
                  infix="//"):
    """z = ⌊a / b⌋, rounded toward −∞ as Python's ``//``. Piecewise constant: as in torch, the
    result is on the graph but asking for its gradient is an error, not a silent zero."""

    @staticmethod
    def forward(ctx, a, b):
        xp = get_array_module(b)
        if xp.result_type(a, b).kind in "iub" and not xp.all(b):
            raise ZeroDivisionError("floor_divide: integer division by zero")
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        if ctx.needs_grad(0) or ctx.needs_grad(1):
            raise RuntimeError("floor_divide (//) has no derivative: it is a step function, "
                               "its gradient is 0 almost everywhere; detach() its inputs first")
        return None, None


class Neg(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """z = −a;  dz/da = −1."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function, elementwise=True, moves_elements=False, number_operands=True, infix="**"):
    """z = aᵇ;  dz/da = b·aᵇ⁻¹, dz/db = aᵇ·ln a (only asked for when b is a tensor).

    At a = 0 both formulas meet 0·∞; as torch, dz/da is taken as 0 where b = 0 and dz/db as 0
    where b ≥ 0 (the limits from a > 0), so a zero base sends back 0, not NaN.
    """

    @staticmethod
    def forward(ctx, a, b):
        # 0⁻¹ = inf, (−1)^0.5 = NaN, 2^10000 = inf: torch's values, without NumPy's warnings
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        xp = get_array_module(out)
        ga = gb = None
        if ctx.needs_grad(0):
            if hasattr(b, "shape"):
                with np.errstate(divide="ignore", invalid="ignore"):  # 0⁻¹ where b = 0
                    ga = xp.where(b == 0, 0, g * b * a ** (b - 1))
            else:
                ga = g * b * a ** (b - 1) if b != 0 else xp.zeros_like(g * a)
        if ctx.needs_grad(1):
            with np.errstate(divide="ignore", invalid="ignore"):  # ln a is NaN/−inf for a ≤ 0
                gb = xp.where((a == 0) & (b >= 0), 0, g * out * xp.log(a))
        return ga, gb


class Cast(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """z = a as another dtype;  the gradient is cast back to a's dtype by the engine."""

    float32_by_default = False

    @staticmethod
    def forward(ctx, a, dtype):
        # a value past the new dtype's range becomes ±inf, as in torch: no overflow warning
        with np.errstate(over="ignore"):
            return a.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Identity(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x;  dy/dx = 1. A copy that stays in the graph (``clone``, the identity activation)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
