"""NumPy kernels for a replay: an op's forward and backward written into buffers allocated once.

An eager op allocates its output and its gradients every step, and ``Linear`` checks its shapes
every call. In a replay the shapes are known, so these kernels keep their buffers on the op's
ctx (which a replay reuses every step) and write into them with ``out=``: the same NumPy calls
as the op, in the same order, so the same numbers (``tests/compiled/test_kernels.py`` compares
each with the op, bitwise). A kernel that finds an input it was not written for (not a matrix,
another dtype) runs the op itself.

``Linear`` can also write a parameter's gradient straight into the optimizer's flat gradient
buffer: the replay puts that buffer's view in ``ctx.grad_into`` (``Replay.write_grads_into``),
so the gradient is never copied.
"""

import numpy as np

from ..ops import activation, linear


def _buffer(ctx, name, shape, dtype):
    """The ctx's buffer ``name``, allocated on first use or when the shape changed."""
    buf = ctx.__dict__.get(name)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = ctx.__dict__[name] = np.empty(shape, dtype)
    return buf


class Linear:
    """``ops.linear.Linear``: y = x·Wᵀ + b, dL/dx = G·W, dL/dW = Gᵀ·x, dL/db = 1ᵀ·G."""

    writes_grads_into = True

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        dtype = x.dtype
        if (x.ndim != 2 or weight.dtype != dtype or dtype.kind != "f"
                or (bias is not None and bias.dtype != dtype)):
            ctx.eager = True
            return linear.Linear.forward(ctx, x, weight, bias)
        n, out = x.shape[0], weight.shape[0]
        kept = ctx.__dict__.get("kept")  # (x's shape, W's shape, y, yᵀ or None)
        if kept is None or kept[0] != x.shape or kept[1] != weight.shape:
            if x.shape[1] != weight.shape[1] or (bias is not None and bias.shape != (out,)):
                return linear.Linear.forward(ctx, x, weight, bias)  # names the bad shapes
            kept = ctx.kept = (x.shape, weight.shape, np.empty((n, out), dtype),
                               np.empty((out, n), dtype) if n < out else None)
            ctx.eager = False
        y, y_t = kept[2], kept[3]
        if y_t is not None:  # the form ops/linear.py picks for a batch smaller than the layer
            np.matmul(weight, x.T, out=y_t)
            np.copyto(y, y_t.T)
        else:
            np.matmul(x, weight.T, out=y)
        if bias is not None:
            y += bias
        ctx._saved = (x, weight)
        return y

    @staticmethod
    def backward(ctx, g):
        if ctx.eager or g.ndim != 2:
            return linear.Linear.backward(ctx, g)
        x, weight = ctx._saved
        gx = gw = gb = None
        needs = ctx.needs
        need_x, need_w, need_b = needs[0], needs[1], len(needs) > 2 and needs[2]
        into = ctx.__dict__.get("grad_into") or (None, None, None)
        if need_x:
            gx = np.matmul(g, weight, out=_buffer(ctx, "gx", x.shape, x.dtype))
        if need_w:
            gw = into[1] if into[1] is not None else _buffer(ctx, "gw", weight.shape, g.dtype)
            np.matmul(g.T, x, out=gw)
        if need_b:
            gb = into[2] if into[2] is not None else _buffer(ctx, "gb", (g.shape[1],), g.dtype)
            np.matmul(_ones(g.shape[0], g.dtype), g, out=gb)  # backend.sum_rows's product
        return gx, gw, gb


_ones_cache = {}


def _ones(n, dtype):
    key = (n, dtype)
    ones = _ones_cache.get(key)
    if ones is None:
        ones = _ones_cache[key] = np.ones(n, dtype)
    return ones


class ReLU:
    """``ops.activation.ReLU``: y = max(x, 0), dL/dx = G·[y > 0]."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            return activation.ReLU.forward(ctx, x)
        y = np.maximum(x, 0, out=_buffer(ctx, "y", x.shape, x.dtype))
        ctx._saved = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx._saved
        if g.shape != y.shape:
            return activation.ReLU.backward(ctx, g)
        mask = np.greater(y, 0, out=_buffer(ctx, "mask", y.shape, np.bool_))
        return np.multiply(g, mask, out=_buffer(ctx, "gx", g.shape, np.result_type(g, mask)))


KERNELS = {linear.Linear: Linear, activation.ReLU: ReLU}
"""Op class -> the buffered kernel every replay runs in its place."""
