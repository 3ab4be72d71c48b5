"""The fully connected layer's math as one node: y = x·Wᵀ + b.

A neuron is a weighted sum plus a bias; a layer is many neurons, so with W of shape
(out_features, in_features) — row j holds the weights *into* neuron j, as torch lays them out —
y = x Wᵀ + b. One fused node instead of matmul + transpose + add saves two nodes per layer.

    dL/dx = G·W,   dL/dW = Gᵀ·x,   dL/db = Σ over the batch of G  (= 1ᵀ·G, one more product)
"""

from ..autograd.array_function import ArrayFunction
from ..backend import sum_rows
from ..errors import ShapeError


class Linear(ArrayFunction, elementwise=False, moves_elements=False, number_operands=False,
             infix=None):
    """y = x Wᵀ + b for x of shape (..., in_features)."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ShapeError(
                f"linear: input with shape {tuple(x.shape)} has "
                f"{x.shape[-1] if x.ndim else 0} features but the weight of shape "
                f"{tuple(weight.shape)} expects {weight.shape[-1] if weight.ndim else '?'} "
                "(weight is (out_features, in_features))"
            )
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ShapeError(
                f"linear: bias of shape {tuple(bias.shape)} does not match "
                f"out_features={weight.shape[0]}"
            )
        ctx.save_for_backward(x, weight)
        if x.ndim == 2 and x.shape[0] < weight.shape[0]:
            # Fewer inputs than outputs: NumPy's OpenBLAS computes (W·xᵀ)ᵀ, the same sums, up
            # to 1.4x faster than x·Wᵀ, even with the copy back to row-major order
            # (benchmarks/blas_products.py)
            y = (weight @ x.T).T.copy()
        else:
            y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        gx = g @ weight if ctx.needs_grad(0) else None
        gw = gb = None
        if g.ndim > 2:
            g = g.reshape(-1, g.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        if ctx.needs_grad(1):
            gw = g.T @ x if g.ndim == 2 else g[:, None] * x[None, :]
        if ctx.needs_grad(2):
            gb = sum_rows(g) if g.ndim == 2 else g
        return gx, gw, gb
