"""Shared checks for the engine tests: one helper compares any op with PyTorch, one with finite
differences, and a few hypothesis strategies draw the shapes and values they run on.

The torch comparison follows tinygrad's test helper: the *same* function runs on chainrule tensors
and on torch tensors built from the same float64 arrays, then the value and the gradient of every
input are compared. Most ops are spelled the same in both libraries (operators, ``.exp()``,
``.sum(axis)``...); where they differ the test passes a separate torch function.
"""

import numpy as np
import torch
from device_double import active
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

# float64 on both sides: what is left of a difference is the algorithms, not round-off.
RTOL = 1e-9


def assert_close(actual, expected, what, rtol=RTOL):
    """Elementwise relative error <= ``rtol``; elements near zero are held to ``rtol`` times the
    array's scale instead (a true zero can come out as 1e-17 from a different summation order)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(actual), finite), f"{what}: non-finite where torch is not"
    assert np.array_equal(actual[~finite], expected[~finite]), f"{what}: infinities differ"
    scale = np.abs(expected[finite]).max(initial=0.0)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=rtol,
                               atol=rtol * 1e-3 * max(scale, 1.0), err_msg=what)


def compare_with_torch(fn, inputs, torch_fn=None, grad=None, seed=0, rtol=RTOL):
    """Run ``fn`` on chainrule tensors and ``torch_fn`` (default: ``fn``) on torch tensors made
    from the same ``inputs`` (float64 arrays); assert the values and every input's gradient agree.

    ``grad`` says which inputs require grad (default: every floating one). A non-scalar output is
    backpropagated with a fixed random upstream gradient, which checks the whole vector-Jacobian
    product rather than only its sum. Returns the chainrule output.
    """
    torch_fn = fn if torch_fn is None else torch_fn
    arrays = [np.asarray(a) for a in inputs]
    if grad is None:
        grad = [a.dtype.kind == "f" for a in arrays]
    ours = [active.put(a, requires_grad=g) for a, g in zip(arrays, grad)]
    theirs = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]

    out = fn(*ours)
    expected = torch_fn(*theirs)
    assert out.dtype == np.float64, f"output dtype {out.dtype}, expected float64"
    active.check_on_device(out, "the output")
    assert_close(active.host(out), expected.detach().numpy(), "forward value", rtol)
    if not any(grad):
        return out

    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(active.put(upstream))
    expected.backward(torch.from_numpy(upstream))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if not grad[i]:
            continue
        assert a.grad is not None, f"input {i} got no gradient"
        assert a.grad.dtype == np.float64, f"input {i}'s gradient is {a.grad.dtype}"
        active.check_on_device(a.grad, f"the gradient of input {i}")
        assert_close(active.host(a.grad), b.grad.numpy(), f"gradient of input {i}", rtol)
    return out


def check_op(fn, inputs, torch_fn=None, grad=None, **gradcheck_args):
    """Both checks on one op: finite differences (``cr.gradcheck``) and PyTorch.

    On the device double only the comparison with PyTorch runs: finite differences read the
    output back after every nudge, and the CPU run of the same test has checked them."""
    arrays = [np.asarray(a) for a in inputs]
    if grad is None:
        grad = [a.dtype.kind == "f" for a in arrays]
    if active.DEVICE == "cpu":
        tensors = [cr.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
        assert cr.gradcheck(fn, tensors, **gradcheck_args)
    compare_with_torch(fn, arrays, torch_fn=torch_fn, grad=grad)


# -- what the tests run on ------------------------------------------------------------------------
def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcast_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4):
    """Shapes that broadcast together (some axes of size 1 or missing), as a tuple."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda s: s.input_shapes)


seeds = st.integers(0, 2**32 - 1)


def normal(seed, shape, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def positive(seed, shape, low=0.5, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def away_from(seed, shape, kink=0.0, gap=0.1, spread=2.0):
    """Random values at least ``gap`` from ``kink`` on either side: finite differences across a
    kink (|x| at 0, relu at 0, a clip bound) measure the average of two slopes, not either."""
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return kink + sign * rng.uniform(gap, spread, shape)


def distinct(seed, shape):
    """Values with no ties (max/min and maximum/minimum are not differentiable at a tie), each
    pair at least 0.1 apart so a finite-difference step never swaps their order."""
    n = int(np.prod(shape, dtype=int))
    rng = np.random.default_rng(seed)
    values = (rng.permutation(n) - n / 2) * 0.3 + rng.uniform(-0.05, 0.05, n)
    return values.reshape(shape)
