"""Matrix product ``a @ b`` with NumPy's rules: 2-D, batched with broadcasting, and vectors.

For C = A·B the chain rule gives dL/dA = G·Bᵀ and dL/dB = Aᵀ·G, where G = dL/dC.
A 1-D operand is treated as a matrix with a 1 inserted (row for ``a``, column for ``b``) and that
axis is dropped again from its gradient.
"""

from ..autograd.array_function import ArrayFunction


class MatMul(ArrayFunction, elementwise=False, moves_elements=False, number_operands=False,
             infix="@"):
    """C = A @ B;  dA = G @ Bᵀ, dB = Aᵀ @ G (batch axes that were broadcast are summed)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # b's axis first: for vector @ vector g is 0-d and needs an axis before a's can go in
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        ga = gb = None
        if ctx.needs_grad(0):
            ga = g @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if ctx.needs_grad(1):
            gb = a2.swapaxes(-1, -2) @ g
            if b.ndim == 1:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb
