"""Each kernel a replay runs in an op's place gives the op's numbers, checked op by op: the
buffered NumPy kernels and the numba activations bitwise, the numba optimizer loops bitwise
against the eager update functions for every option they take."""

import itertools

import numpy as np
import pytest

from chainrule.compiled import buffered, fused
from chainrule.compiled.replay import new_ctx
from chainrule.ops import activation, linear
from chainrule.optim.adam import adam_update
from chainrule.optim.sgd import sgd_update

needs_numba = pytest.mark.skipif(not fused.available(), reason="numba is not installed")


def run(impl, op, args, g, needs):
    ctx = new_ctx(op, needs)
    out = impl.forward(ctx, *args)
    out = np.array(out)  # a kernel reuses its buffer: keep this step's value
    grads = impl.backward(ctx, g)
    grads = grads if isinstance(grads, tuple) else (grads,)
    return out, [None if a is None else np.array(a) for a in grads]


def assert_kernel_matches_op(kernel, op, args, g, needs, exact):
    expected, expected_grads = run(op, op, args, g, needs)
    for _ in range(2):  # the second call reuses the kernel's buffers
        with np.errstate(over="ignore"):  # as Replay.run calls kernels: inf arrives silently
            got, got_grads = run(kernel, op, args, g, needs)
        check = np.testing.assert_array_equal if exact else (
            lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-7))
        check(got, expected)
        assert len(got_grads) >= sum(needs)
        for a, b in zip(got_grads, expected_grads):
            assert (a is None) == (b is None)
            if a is not None:
                check(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("batch", "n_in", "n_out"), [(3, 5, 8), (16, 8, 4), (1, 2, 1)])
@pytest.mark.parametrize("needs_x", [False, True])
def test_buffered_linear_is_the_op_bitwise(rng, dtype, batch, n_in, n_out, needs_x):
    x = rng.standard_normal((batch, n_in)).astype(dtype)
    w = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    g = rng.standard_normal((batch, n_out)).astype(dtype)
    assert_kernel_matches_op(buffered.Linear, linear.Linear, (x, w, b), g,
                             (needs_x, True, True), exact=True)


def test_buffered_linear_writes_a_parameter_gradient_where_it_is_told(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    g = rng.standard_normal((4, 2))
    ctx = new_ctx(linear.Linear, (False, True, True))
    flat = np.zeros(w.size + b.size)
    ctx.grad_into = (None, flat[:6].reshape(2, 3), flat[6:])
    buffered.Linear.forward(ctx, x, w, b)
    _, gw, gb = buffered.Linear.backward(ctx, g)
    assert gw.base is flat and gb.base is flat
    np.testing.assert_array_equal(flat, np.concatenate([(g.T @ x).ravel(), np.ones(4) @ g]))


def test_buffered_linear_falls_back_to_the_op_on_a_batch_of_batches(rng):
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal((5, 4)), rng.standard_normal(5)
    g = rng.standard_normal((2, 3, 5))
    assert_kernel_matches_op(buffered.Linear, linear.Linear, (x, w, b), g, (True, True, True),
                             exact=True)


def test_buffered_relu_is_the_op_bitwise(rng):
    x = rng.standard_normal((7, 5)).astype(np.float32)
    x[0, :2] = 0.0  # the kink: gradient 0, as torch
    g = rng.standard_normal((7, 5)).astype(np.float32)
    assert_kernel_matches_op(buffered.ReLU, activation.ReLU, (x,), g, (True,), exact=True)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["Sigmoid", "Tanh", "ReLU"])
def test_numba_activation_matches_the_op(rng, name, dtype):
    x = (rng.standard_normal((9, 6)) * 5).astype(dtype)
    x[0, 0], x[0, 1] = -200, 200  # e^200 overflows: σ is 0 and 1 there, never NaN
    g = rng.standard_normal((9, 6)).astype(dtype)
    assert_kernel_matches_op(getattr(fused, name), getattr(activation, name), (x,), g, (True,),
                             exact=True)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("maximize", "weight_decay", "decoupled", "amsgrad"),
                         list(itertools.product([False, True], [0.0, 0.1], [False, True],
                                                [False, True])))
def test_fused_adam_is_adam_update_bitwise(rng, dtype, maximize, weight_decay, decoupled,
                                           amsgrad):
    options = dict(lr=1e-2, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=weight_decay,
                   amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled)
    p0 = rng.standard_normal((6, 5)).astype(dtype)
    ours, theirs = p0.copy(), p0.copy()
    st_ours, st_theirs = {}, {}
    for _ in range(5):
        g = rng.standard_normal((6, 5)).astype(dtype)
        fused.adam_update(ours, g, st_ours, **options)
        adam_update(theirs, g, st_theirs, **options)
        np.testing.assert_array_equal(ours, theirs)
    assert st_ours.keys() == st_theirs.keys()
    for key, value in st_theirs.items():
        np.testing.assert_array_equal(st_ours[key], value)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("momentum", "dampening", "nesterov", "weight_decay", "maximize"),
                         [(0.0, 0.0, False, 0.0, False), (0.0, 0.0, False, 0.1, True),
                          (0.9, 0.0, False, 0.0, False), (0.9, 0.2, False, 0.1, False),
                          (0.9, 0.0, True, 0.1, True), (0.5, 0.0, True, 0.0, False)])
def test_fused_sgd_is_sgd_update_bitwise(rng, dtype, momentum, dampening, nesterov,
                                         weight_decay, maximize):
    options = dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=weight_decay, maximize=maximize)
    p0 = rng.standard_normal(17).astype(dtype)
    ours, theirs = p0.copy(), p0.copy()
    st_ours, st_theirs = {}, {}
    for _ in range(5):
        g = rng.standard_normal(17).astype(dtype)
        fused.sgd_update_fused(ours, g, st_ours, **options)
        sgd_update(theirs, g, st_theirs, **options)
        np.testing.assert_array_equal(ours, theirs)
    for key, value in st_theirs.items():
        np.testing.assert_array_equal(st_ours[key], value)


@needs_numba
def test_fused_adam_on_a_strided_parameter_takes_the_eager_path(rng):
    p = rng.standard_normal((4, 6))[:, ::2]  # not contiguous: the loop cannot write through it
    expected = p.copy()
    g = rng.standard_normal(p.shape)
    st, st_eager = {}, {}
    fused.adam_update(p, g, st, lr=0.1)
    adam_update(expected, g, st_eager, lr=0.1)
    np.testing.assert_array_equal(p, expected)
    assert st["step"] == 1
