"""Each function of compiled/kernel_ops.py against the eager op it stands in for, op by op:
bitwise where its arithmetic and order are the op's (ReLU, the activations' backward, the
linear products, the losses' gradients given the same inputs), else to float32 rounding, as
each test says."""

import numpy as np
import pytest

from chainrule.compiled import fused
from chainrule.compiled.replay import new_ctx
from chainrule.ops import activation, linear, loss

pytestmark = pytest.mark.skipif(not fused.available(), reason="numba is not installed")

if fused.available():
    from chainrule.compiled import kernel_ops as k

F32_ULPS = 4 * np.finfo(np.float32).eps  # a few units in the last place, relative


def eager(op, args, needs, g=None):
    """The op's forward value and, given g (default ones), its backward's gradients."""
    ctx = new_ctx(op, needs)
    out = np.array(op.forward(ctx, *args))
    grads = op.backward(ctx, np.ones_like(out) if g is None else g)
    return out, grads if isinstance(grads, tuple) else (grads,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("batch", "n_in", "n_out"), [(16, 784, 256), (10, 8, 8), (3, 5, 1)])
def test_linear_products_are_the_ops_and_the_bias_gradient_to_rounding(rng, dtype, batch, n_in,
                                                                       n_out):
    x = rng.standard_normal((batch, n_in)).astype(dtype)
    w = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    g = rng.standard_normal((batch, n_out)).astype(dtype)
    y, (gx, gw, gb) = eager(linear.Linear, (x, w, b), (True, True, True), g)
    out, out_t = np.empty((batch, n_out), dtype), np.empty((n_out, batch), dtype)
    k.linear_forward(x, w, b, out, out_t)  # (W·xᵀ)ᵀ for a batch smaller than the layer, as the op
    np.testing.assert_array_equal(out, y)
    got = np.empty_like(x), np.empty_like(w), np.empty_like(b)
    k.linear_backward(g, x, w, *got)
    np.testing.assert_array_equal(got[0], gx)
    np.testing.assert_array_equal(got[1], gw)
    np.testing.assert_allclose(got[2], gb, rtol=F32_ULPS * batch, atol=F32_ULPS * batch)
    params_only = np.empty_like(w), np.empty_like(b)
    k.linear_params_backward(g, x, *params_only)
    np.testing.assert_array_equal(params_only[0], gw)
    np.testing.assert_array_equal(params_only[1], got[2])
    k.linear_nobias_forward(x, w, out, out_t)
    no_bias, _ = eager(linear.Linear, (x, w, None), (True, True, False), g)
    np.testing.assert_array_equal(out, no_bias)
    k.linear_nobias_backward(g, x, w, got[0], got[1])
    np.testing.assert_array_equal(got[0], gx)
    np.testing.assert_array_equal(got[1], gw)
    k.linear_nobias_params_backward(g, x, got[1])
    np.testing.assert_array_equal(got[1], gw)


ACTIVATIONS = {"relu": activation.ReLU, "tanh": activation.Tanh, "sigmoid": activation.Sigmoid}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_the_op(rng, name, dtype):
    """Forward: ReLU bitwise; tanh and sigmoid on float32 computed in float64 and rounded once,
    so within a unit or two in the last place of NumPy's float32 passes (float64: the C
    library's functions against NumPy's, 1e-15). Backward: the op's order, bitwise."""
    op = ACTIVATIONS[name]
    x = np.concatenate([rng.standard_normal(4000) * 4, [0.0, -0.0, 1e-6, -1e-9, 0.05, 0.1, -0.1,
                                                        0.3, 9.5, -9.5, 30, -30, 100, -100,
                                                        -200, 700, -800]])
    x = x.astype(dtype).reshape(1, -1)
    g = rng.standard_normal(x.shape).astype(dtype)
    y, (gx,) = eager(op, (x,), (True,), g)
    out = np.empty_like(x)
    exact = dtype == np.float64 and name != "relu"  # whole_step.py's choice
    forward = getattr(k, f"{name}_exact_forward" if exact else f"{name}_forward")
    with np.errstate(over="ignore"):
        forward(x, out)
    if name == "relu":
        np.testing.assert_array_equal(out, y)
    elif dtype == np.float32:
        np.testing.assert_allclose(out, y, rtol=2 * np.finfo(np.float32).eps, atol=1e-38)
    else:
        np.testing.assert_allclose(out, y, rtol=1e-15, atol=1e-300)
    backward = getattr(k, f"{name}_backward")
    got = np.empty_like(x)
    backward(y, g, got)  # from the op's own y: the same operations in the same order
    np.testing.assert_array_equal(got, gx)


def test_exp64_and_tanh64_round_to_float32_as_the_c_library_does(rng):
    """The float64 arithmetic behind the float32 activations: ~1e-13 relative, so its float32
    rounding is the correctly rounded value but for rare near-ties."""
    x = np.concatenate([rng.uniform(-100, 88, 20000), rng.uniform(-0.2, 0.2, 2000)])
    exp = np.array([k.exp64(v) for v in x])
    np.testing.assert_allclose(exp, np.exp(x), rtol=1e-12)
    tanh = np.array([k.tanh64(v) for v in x])
    np.testing.assert_allclose(tanh, np.tanh(x), rtol=1e-12, atol=1e-300)
    assert np.mean(exp.astype(np.float32) == np.exp(x).astype(np.float32)) > 0.999


def _loss_inputs(rng, name, dtype, n=37, c=5):
    z = (rng.standard_normal((n, c)) * 3).astype(dtype)
    if name == "cross_entropy":
        return z, rng.integers(0, c, n)
    if name == "bce_with_logits":
        return z, rng.integers(0, 2, (n, c)).astype(dtype)
    return z, rng.standard_normal((n, c)).astype(dtype)


LOSSES = {"mse": loss.MSE, "bce_with_logits": loss.BCEWithLogits,
          "cross_entropy": loss.CrossEntropy}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_matches_the_op(rng, name, dtype, reduction):
    """The loss summed in float64 (NumPy sums pairwise in the dtype): float32 rounding of the
    op's. The gradient: MSE's is the op's arithmetic in its order (bitwise); BCEWithLogits' and
    CrossEntropy's take e^x from the C library, not NumPy's: a unit in the last place."""
    z, t = _loss_inputs(rng, name, dtype)
    value, (gz, *_) = eager(LOSSES[name], (z, t, reduction), (True, False, False))
    mean = reduction == "mean"
    got = getattr(k, f"{name}_forward")(z, t, mean)
    eps = np.finfo(dtype).eps
    assert got == pytest.approx(float(value), rel=float(8 * eps))  # pytest 9.2 wants a float
    out = np.empty_like(z)
    getattr(k, f"{name}_backward")(z, t, mean, out)
    if name == "mse":
        np.testing.assert_array_equal(out, gz)
    else:
        np.testing.assert_allclose(out, gz, rtol=4 * eps, atol=4 * eps * np.abs(gz).max())


def test_cross_entropy_reports_a_class_out_of_range_instead_of_reading_past_the_row(rng):
    z = rng.standard_normal((4, 3)).astype(np.float32)
    assert k.cross_entropy_forward(z, np.array([0, 1, 3, 2]), True) == k.BAD_TARGET
    assert k.cross_entropy_forward(z, np.array([0, -1, 1, 2]), True) == k.BAD_TARGET


def test_views_are_views_of_the_flat_array():
    flat = np.arange(20.0)
    m = k.matrix(flat, 4, 2, 3)
    np.testing.assert_array_equal(m, flat[4:10].reshape(2, 3))
    m[0, 0] = -1
    assert flat[4] == -1
    np.testing.assert_array_equal(k.vector(flat, 10, 5), flat[10:15])
