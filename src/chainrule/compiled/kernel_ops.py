"""The ops a whole-step kernel (``whole_step.py``) can run, as numba functions on arrays.

Each function stands in for the forward or the backward of one eager op, named in its
docstring, and writes into buffers it is given (slices of the step's arena or of the
optimizer's flat gradient), so the generated kernel calls them one line per op with no Python in
between. ``tests/compiled/test_kernel_ops.py`` compares each with its eager op:

- bitwise where the arithmetic and its order are the eager op's: ReLU, MSE's gradient,
  Tanh's and Sigmoid's backward, Linear but for its bias gradient (``np.dot`` inside numba
  calls the same BLAS routine as NumPy's matmul: scipy's OpenBLAS build, which gave the same
  bits as NumPy's here);
- to float32 rounding elsewhere: a bias gradient summed row after row (NumPy sums by a BLAS
  product), a loss summed in float64 (NumPy sums pairwise in float32), and the float32
  transcendentals. NumPy's vectorized ``exp`` and ``tanh`` are out of numba's reach, and
  numba's own call the C library one number at a time (``tanh`` 15 ns a number here, 20x
  NumPy's), so for float32 data ``exp`` is computed here in float64 arithmetic that the
  compiler vectorizes (a polynomial, scaled by 2ⁿ built from its bits) and rounded once to
  float32: within a unit in the last place of NumPy's. float64 data keep the C library's.

This module imports numba: only ``whole_step.py`` imports it, once numba is known to be there.
"""

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

jit = numba.njit(error_model="numpy", nogil=True, cache=True)  # error model: see fused.py

BAD_TARGET = -np.inf  # what a loss returns for a class index out of range (never a real loss)


@intrinsic
def _float64_from_bits(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a register move, which vectorizes)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@jit
def exp64(x):
    """eˣ in float64 to about 1e-13 relative (ample for a float32 result), from arithmetic the
    compiler can vectorize: eˣ = 2ⁿ·eʳ with n = round(x·log₂e), |r| ≤ ln2/2, eʳ by its Taylor
    series to r¹⁰, 2ⁿ from its bits. x is clamped to ±700 (far past float32's range)."""
    x = min(max(x, -700.0), 700.0)
    t = x * 1.4426950408889634
    n = np.floor(t + 0.5)
    r = (t - n) * 0.6931471805599453
    p = 1.0 + r * (1.0 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (
        1 / 720 + r * (1 / 5040 + r * (1 / 40320 + r * (1 / 362880 + r / 3628800)))))))))
    return p * _float64_from_bits((np.int64(n) + 1023) << 52)


@jit
def tanh64(x):
    """tanh x in float64 to about 1e-12 relative: its series near 0 (where 1 − 2/(e²ˣ + 1)
    would cancel), else from exp64."""
    a = abs(x)
    a2 = a * a
    series = a * (1.0 - a2 * (1 / 3 - a2 * (2 / 15 - a2 * (17 / 315 - a2 * (62 / 2835)))))
    far = 1.0 - 2.0 / (exp64(2.0 * min(a, 20.0)) + 1.0)
    y = series if a < 0.1 else far
    return -y if x < 0 else y


# -- Linear --------------------------------------------------------------------------------------
@jit
def linear_forward(x, weight, bias, out, out_t):
    """``ops.linear.Linear`` forward: out = x·Wᵀ + b, in the op's form: for a batch smaller than
    the layer (W·xᵀ)ᵀ into ``out_t`` (1.3x faster at 32×784→256 here), copied back; then the
    bias row by row, as ``y += bias``."""
    linear_nobias_forward(x, weight, out, out_t)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] += bias[j]


@jit
def linear_nobias_forward(x, weight, out, out_t):
    """``ops.linear.Linear`` forward without a bias: out = x·Wᵀ, in the op's form."""
    if x.shape[0] < weight.shape[0]:
        np.dot(weight, x.T, out_t)
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = out_t[j, i]
    else:
        np.dot(x, weight.T, out)


@jit
def bias_grad(g, grad_bias):
    """``ops.linear.Linear`` backward's dL/db = Σ over the batch of G, row after row (NumPy
    takes it as the BLAS product 1ᵀ·G: float32 rounding apart)."""
    grad_bias[:] = 0
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            grad_bias[j] += g[i, j]


@jit
def linear_backward(g, x, weight, grad_x, grad_weight, grad_bias):
    """``ops.linear.Linear`` backward: dL/dx = G·W, dL/dW = Gᵀ·x, dL/db = 1ᵀ·G."""
    np.dot(g, weight, grad_x)
    np.dot(g.T, x, grad_weight)
    bias_grad(g, grad_bias)


@jit
def linear_params_backward(g, x, grad_weight, grad_bias):
    """``ops.linear.Linear`` backward when its input needs no gradient (the first layer)."""
    np.dot(g.T, x, grad_weight)
    bias_grad(g, grad_bias)


@jit
def linear_nobias_backward(g, x, weight, grad_x, grad_weight):
    """``ops.linear.Linear`` backward without a bias."""
    np.dot(g, weight, grad_x)
    np.dot(g.T, x, grad_weight)


@jit
def linear_nobias_params_backward(g, x, grad_weight):
    """``ops.linear.Linear`` backward without a bias, its input needing no gradient."""
    np.dot(g.T, x, grad_weight)


# -- activations (arrays of any shape, C-contiguous) ---------------------------------------------
@jit
def relu_forward(x, out):
    """``ops.activation.ReLU`` forward: max(x, 0) (NaN stays NaN, as np.maximum)."""
    xf, yf = x.reshape(-1), out.reshape(-1)
    zero = xf.dtype.type(0)
    for i in range(xf.size):
        v = xf[i]
        yf[i] = v if (v > zero or v != v) else zero


@jit
def relu_backward(y, g, out):
    """``ops.activation.ReLU`` backward: g·[y > 0]."""
    yf, gf, of = y.reshape(-1), g.reshape(-1), out.reshape(-1)
    zero = yf.dtype.type(0)
    for i in range(yf.size):
        of[i] = gf[i] if yf[i] > zero else zero * gf[i]


@jit
def tanh_forward(x, out):
    """``ops.activation.Tanh`` forward on float32, by tanh64 (float32 rounding of NumPy's)."""
    xf, yf = x.reshape(-1), out.reshape(-1)
    for i in range(xf.size):
        yf[i] = tanh64(np.float64(xf[i]))


@jit
def tanh_exact_forward(x, out):
    """``ops.activation.Tanh`` forward on float64, by the C library's tanh."""
    xf, yf = x.reshape(-1), out.reshape(-1)
    for i in range(xf.size):
        yf[i] = np.tanh(xf[i])


@jit
def tanh_backward(y, g, out):
    """``ops.activation.Tanh`` backward: (1 − y²)·g, in the op's order."""
    yf, gf, of = y.reshape(-1), g.reshape(-1), out.reshape(-1)
    one = yf.dtype.type(1)
    for i in range(yf.size):
        of[i] = (one - yf[i] * yf[i]) * gf[i]


@jit
def sigmoid_forward(x, out):
    """``ops.activation.Sigmoid`` forward on float32: 1/(1 + e⁻ˣ) in float64 by exp64, rounded
    once (NumPy's four float32 passes round four times: a unit or two in the last place)."""
    xf, yf = x.reshape(-1), out.reshape(-1)
    for i in range(xf.size):
        yf[i] = 1.0 / (1.0 + exp64(-np.float64(xf[i])))


@jit
def sigmoid_exact_forward(x, out):
    """``ops.activation.Sigmoid`` forward on float64: the op's 1/(1 + e⁻ˣ), the C library's
    exp."""
    xf, yf = x.reshape(-1), out.reshape(-1)
    one = xf.dtype.type(1)
    for i in range(xf.size):
        yf[i] = one / (np.exp(-xf[i]) + one)


@jit
def sigmoid_backward(y, g, out):
    """``ops.activation.Sigmoid`` backward: ((1 − y)·y)·g, in the op's order."""
    yf, gf, of = y.reshape(-1), g.reshape(-1), out.reshape(-1)
    one = yf.dtype.type(1)
    for i in range(yf.size):
        of[i] = ((one - yf[i]) * yf[i]) * gf[i]


# -- losses: forward returns the loss as a float, backward writes dL/d(input) -------------------
# ``mean`` is a constant of the generated kernel: True for reduction="mean", False for "sum".
@jit
def mse_forward(z, t, mean):
    """``ops.loss.MSE`` forward: Σ(z − t)² (over every element, in float64), / n for a mean."""
    zf, tf = z.reshape(-1), t.reshape(-1)
    acc = 0.0
    for i in range(zf.size):
        d = zf[i] - tf[i]
        acc += d * d
    loss = zf.dtype.type(acc)
    return loss / zf.dtype.type(zf.size) if mean else loss


@jit
def mse_backward(z, t, mean, out):
    """``ops.loss.MSE`` backward at dL = 1: ((1/n)·2)·(z − t), the op's products in its order."""
    zf, tf, of = z.reshape(-1), t.reshape(-1), out.reshape(-1)
    one = zf.dtype.type(1)
    scale = (one / zf.dtype.type(zf.size) if mean else one) * zf.dtype.type(2)
    for i in range(zf.size):
        of[i] = scale * (zf[i] - tf[i])


@jit
def bce_with_logits_forward(z, t, mean):
    """``ops.loss.BCEWithLogits`` forward (no pos_weight): Σ max(z, 0) − z·t + log(1 + e^−|z|)."""
    zf, tf = z.reshape(-1), t.reshape(-1)
    zero = zf.dtype.type(0)
    acc = 0.0
    for i in range(zf.size):
        v = zf[i]
        e = np.exp(-abs(v))
        acc += (max(v, zero) - v * tf[i]) + np.log1p(e)
    loss = zf.dtype.type(acc)
    return loss / zf.dtype.type(zf.size) if mean else loss


@jit
def bce_with_logits_backward(z, t, mean, out):
    """``ops.loss.BCEWithLogits`` backward at dL = 1: (1/n)·(σ(z) − t), σ from e^−|z| as the op
    takes it."""
    zf, tf, of = z.reshape(-1), t.reshape(-1), out.reshape(-1)
    one, zero = zf.dtype.type(1), zf.dtype.type(0)
    scale = one / zf.dtype.type(zf.size) if mean else one
    for i in range(zf.size):
        v = zf[i]
        e = np.exp(-abs(v))
        s = (one if v >= zero else e) / (one + e)
        of[i] = scale * (s - tf[i])


@jit
def _row_max_and_log_sum_exp(z, i):
    """Row i's largest logit m and log Σⱼ e^(z[i, j] − m): log softmax(z)[i, j] is
    (z[i, j] − m) minus the second (shifted by m so no e^z overflows)."""
    m = z[i, 0]
    for j in range(1, z.shape[1]):
        m = max(m, z[i, j])
    s = z.dtype.type(0)
    for j in range(z.shape[1]):
        s += np.exp(z[i, j] - m)
    return m, np.log(s)


@jit
def cross_entropy_forward(z, target, mean):
    """``ops.loss.CrossEntropy`` forward on (N, C) logits and class indices: Σ −log softmax(z)[c]
    (each row shifted by its max, as log_softmax_array). A class out of range returns
    BAD_TARGET, so the caller can raise the eager op's error."""
    n, c = z.shape
    acc = 0.0
    for i in range(n):
        k = target[i]
        if k < 0 or k >= c:
            return BAD_TARGET
        m, log_s = _row_max_and_log_sum_exp(z, i)
        acc -= (z[i, k] - m) - log_s
    loss = z.dtype.type(acc)
    return loss / z.dtype.type(n) if mean else loss


@jit
def cross_entropy_backward(z, target, mean, out):
    """``ops.loss.CrossEntropy`` backward at dL = 1: (1/N)·(softmax(z) − onehot(c)), in the
    op's order."""
    n, c = z.shape
    one = z.dtype.type(1)
    scale = one / z.dtype.type(n) if mean else one
    for i in range(n):
        m, log_s = _row_max_and_log_sum_exp(z, i)
        for j in range(c):
            out[i, j] = np.exp((z[i, j] - m) - log_s)
        out[i, target[i]] -= one
        for j in range(c):
            out[i, j] *= scale


# -- views: one compiled function, called once per value (a slice and reshape written out in the
# generated step cost numba ~50 ms each to compile: 8 s of W3's 20 layers) ---------------------
@jit
def matrix(flat, start, rows, cols):
    """``flat[start:start + rows·cols]`` as a (rows, cols) matrix (a view)."""
    return flat[start:start + rows * cols].reshape((rows, cols))


@jit
def vector(flat, start, size):
    """``flat[start:start + size]`` (a view)."""
    return flat[start:start + size]
