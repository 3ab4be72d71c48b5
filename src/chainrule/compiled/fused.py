"""Fused kernels (numba, the ``chainrule[fast]`` extra): several NumPy passes done in one loop.

NumPy runs an expression pass by pass: sigmoid is 4 passes over the batch, its backward 3, an
Adam step a dozen over all parameters. Each loop here does the same arithmetic, in the same
order and the same dtype, in one pass. Each is written next to the eager function it stands in
for, and ``tests/compiled/test_fused.py`` checks it against that function (the updates bitwise,
the activations too: the loops leave ``exp`` to NumPy).

numba is imported on first use, and ``error_model="numpy"``: its default error model checks every
division for zero and ran 2x slower than NumPy (``../shared/RECIPES.md``).
"""

import functools

import numpy as np

from ..ops import activation
from ..optim.adam import adam_update as eager_adam_update
from ..optim.adam import count_step
from ..optim.sgd import sgd_update
from . import buffered
from .buffered import _buffer


def available():
    """Whether numba can be imported (the ``chainrule[fast]`` extra)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _jit():
    import numba

    return numba.njit(error_model="numpy", nogil=True)


@functools.cache
def _adam_loop(maximize, l2, decoupled, amsgrad):
    """Adam's loop for one choice of options: they are constants of the compiled loop, so it
    has no branch and vectorizes (the options as arguments made it 4x slower)."""

    @_jit()
    def adam(p, g, m, v, vmax, wd, decay, c1, b2, c2, sqrt_bc2, eps, step_size):
        for i in range(p.size):
            gi = -g[i] if maximize else g[i]
            if decoupled:
                p[i] = p[i] * decay
            if l2:
                gi = gi + wd * p[i]
            mi = m[i] + (gi - m[i]) * c1
            vi = v[i] * b2 + (gi * gi) * c2
            m[i] = mi
            v[i] = vi
            if amsgrad:
                vi = max(vmax[i], vi)
                vmax[i] = vi
            denom = np.sqrt(vi) / sqrt_bc2 + eps
            p[i] = p[i] - (mi / denom) * step_size

    return adam


@functools.cache
def _sgd_loop(maximize, use_wd, use_momentum, use_damp, nesterov):
    """SGD's loop for one choice of options (constants of the loop, as Adam's)."""

    @_jit()
    def sgd(p, g, buf, lr, wd, momentum, damp):
        for i in range(p.size):
            gi = -g[i] if maximize else g[i]
            d = p[i] * wd + gi if use_wd else gi
            if use_momentum:
                b = buf[i] * momentum
                b = b + damp * d if use_damp else b + d
                buf[i] = b
                d = d + momentum * b if nesterov else b
            p[i] = p[i] - lr * d

    return sgd


@functools.cache
def _loops():
    """The activations' loops, compiled on first call (a second or so each, then cached on
    disk)."""
    import numba

    jit = numba.njit(error_model="numpy", cache=True, nogil=True)

    @jit
    def reciprocal_1p(y):  # y ← 1/(1 + y), two of sigmoid's passes in one
        one = y.dtype.type(1)
        for i in range(y.size):
            y[i] = one / (y[i] + one)

    @jit
    def sigmoid_backward(y, g, out):
        one = y.dtype.type(1)
        for i in range(y.size):
            out[i] = ((one - y[i]) * y[i]) * g[i]

    @jit
    def tanh_backward(y, g, out):
        one = y.dtype.type(1)
        for i in range(y.size):
            out[i] = (one - y[i] * y[i]) * g[i]

    @jit
    def relu_backward(y, g, out):
        zero = y.dtype.type(0)
        for i in range(y.size):
            out[i] = g[i] if y[i] > zero else zero * g[i]

    return {"reciprocal_1p": reciprocal_1p, "sigmoid_backward": sigmoid_backward,
            "tanh_backward": tanh_backward, "relu_backward": relu_backward}


def _flat(a):
    """``a`` as a 1-D view (the kernels write through it), or None if that would be a copy."""
    return a.reshape(-1) if a.flags.c_contiguous else None


def _flat_read(a, dtype):
    """``a`` as a 1-D contiguous array of ``dtype`` for a kernel to read (a copy if need be)."""
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


# -- optimizer updates: same signature as the eager update they stand in for ---------------------
def adam_update(param, grad, state, *, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                amsgrad=False, maximize=False, decoupled_weight_decay=False):
    """``optim.adam.adam_update`` in one pass (the same operations in the same order)."""
    p = _flat(param)
    moments = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
    t = count_step(state, param, *moments)
    flats = [_flat(state[k]) for k in moments]
    if p is None or any(f is None for f in flats):  # a layout the loop cannot write through
        state["step"] -= 1
        return eager_adam_update(param, grad, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                     weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                     decoupled_weight_decay=decoupled_weight_decay)
    f = param.dtype.type
    lr, weight_decay = float(lr), float(weight_decay)
    vmax = flats[2] if amsgrad else flats[1]
    decoupled = bool(decoupled_weight_decay and weight_decay)
    l2 = bool(weight_decay and not decoupled_weight_decay)
    loop = _adam_loop(bool(maximize), l2, decoupled, bool(amsgrad))
    loop(p, _flat_read(grad, param.dtype), flats[0], flats[1], vmax, f(weight_decay),
         f(1 - lr * weight_decay), f(1 - beta1), f(beta2), f(1 - beta2),
         f((1 - beta2**t) ** 0.5), f(eps), f(lr / (1 - beta1**t)))


def sgd_update_fused(param, grad, state, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                     nesterov=False, maximize=False):
    """``optim.sgd.sgd_update`` in one pass; its first step with momentum (which starts the
    buffer at g) is the eager function's."""
    p = _flat(param)
    buf = state.get("momentum_buffer")
    if p is None or (momentum and (buf is None or _flat(buf) is None)):
        return sgd_update(param, grad, state, lr=lr, momentum=momentum, dampening=dampening,
                          weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
    f = param.dtype.type
    buf_flat = _flat(buf) if momentum else p
    loop = _sgd_loop(bool(maximize), bool(weight_decay), bool(momentum), bool(dampening),
                     bool(nesterov))
    loop(p, _flat_read(grad, param.dtype), buf_flat, f(lr), f(weight_decay), f(momentum),
         f(1 - dampening))


UPDATES = {eager_adam_update: adam_update, sgd_update: sgd_update_fused}
"""An optimizer's eager update function -> the fused one with its signature: Adam and AdamW
(``adam_update``), SGD, Momentum and Nesterov (``sgd_update``)."""


# -- activations: forward and backward as the op computes them, into buffers kept on the ctx ----
class Sigmoid:
    """``ops.activation.Sigmoid``: y = 1/(1 + e⁻ˣ) in three passes instead of four, e⁻ˣ by
    NumPy's vectorized exp (numba's, one number at a time, was 3x slower than all four NumPy
    passes on W3's 64×64), the backward in one; saves y, as the op does."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            return activation.Sigmoid.forward(ctx, x)
        y = np.negative(x, out=_buffer(ctx, "y", x.shape, x.dtype))
        np.exp(y, out=y)  # overflows to inf for x < −88 (float32): σ is then 1/inf = 0
        _loops()["reciprocal_1p"](y.reshape(-1))
        ctx._saved = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        return _elementwise_backward(ctx, "sigmoid_backward", g, activation.Sigmoid)


class Tanh:
    """``ops.activation.Tanh``: NumPy's tanh forward (one pass already), the backward fused."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            return activation.Tanh.forward(ctx, x)
        y = np.tanh(x, out=_buffer(ctx, "y", x.shape, x.dtype))
        ctx._saved = (y,)
        return y

    @staticmethod
    def backward(ctx, g):
        return _elementwise_backward(ctx, "tanh_backward", g, activation.Tanh)


class ReLU:
    """``ops.activation.ReLU``: the buffered forward, the backward g·[y > 0] in one pass."""

    forward = staticmethod(buffered.ReLU.forward)

    @staticmethod
    def backward(ctx, g):
        return _elementwise_backward(ctx, "relu_backward", g, activation.ReLU)


def _elementwise_backward(ctx, name, g, op):
    """dL/dx = g·h'(y) by the loop ``name``, or by the op when the arrays do not fit the loop."""
    (y,) = ctx._saved
    if g.shape != y.shape or g.dtype != y.dtype or not (g.flags.c_contiguous
                                                         and y.flags.c_contiguous):
        return op.backward(ctx, g)
    out = _buffer(ctx, "gx", y.shape, y.dtype)
    _loops()[name](y.reshape(-1), g.reshape(-1), out.reshape(-1))
    return out


KERNELS = {**buffered.KERNELS, activation.Sigmoid: Sigmoid, activation.Tanh: Tanh,
           activation.ReLU: ReLU}
"""Op class -> the kernel a numba replay runs in its place (``replay.Replay``)."""
