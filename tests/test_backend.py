"""backend.sum_rows (the bias gradient as ones·G) and the engine's broadcast sums that use it."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.engine import sum_to
from chainrule.backend import sum_rows, unshared


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize("shape", [(10, 8), (256, 1), (1, 5), (0, 3), (3, 0)])
def test_sum_rows_is_the_column_sum(dtype, shape):
    m = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    got = sum_rows(m)
    want = m.astype(np.float64).sum(axis=0)
    assert got.shape == want.shape and got.dtype == m.dtype
    tol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol)


def test_sum_rows_of_a_transposed_view_and_a_new_batch_size():
    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(sum_rows(m.T), m.T.sum(axis=0))
    np.testing.assert_array_equal(sum_rows(m[:2]), m[:2].sum(axis=0))


def test_sum_rows_keeps_its_ones_to_itself():
    m = np.ones((4, 2), np.float32)
    first = sum_rows(m)
    first += 100  # the result is the caller's; the cached ones vector must not change
    np.testing.assert_array_equal(sum_rows(m), [4, 4])


@pytest.mark.parametrize("grad_shape,shape", [
    ((5, 3), (3,)), ((5, 3), (1, 3)), ((2, 4, 3), (3,)), ((2, 4, 3), (1, 1, 3)),
    ((2, 4, 3), (4, 3)), ((0, 3), (3,)), ((5, 3), (5, 1)), ((2, 4, 3), (2, 1, 3)),
])
def test_sum_to_matches_numpy(grad_shape, shape):
    g = np.random.default_rng(1).standard_normal(grad_shape)
    lead = len(grad_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and grad_shape[lead + i] != 1)
    want = g.sum(axis=axes, keepdims=True).reshape(shape)
    got = sum_to(g, shape)
    assert got.shape == shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_broadcast_bias_gradient_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((7, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    cx, cw, cb = (cr.tensor(a, requires_grad=True) for a in (x, w, b))
    ((cx @ cw + cb).tanh().sum()).backward()
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ((tx @ tw + tb).tanh().sum()).backward()
    for c, t in ((cx, tx), (cw, tw), (cb, tb)):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_unshared_counts_only_the_holders_the_caller_names():
    array = np.ones(3)
    assert unshared(array, 1)  # this local alone
    other = array
    assert not unshared(array, 1) and unshared(array, 2)
    del other
    assert not unshared(array[1:], 5)  # a view never owns its memory
    held = [array]
    assert not unshared(array, 1)
    held.clear()
    assert unshared(array, 1)
