"""Where torch returns inf or NaN without a word, chainrule does too: no NumPy RuntimeWarning.

Each case once leaked NumPy's "divide by zero", "invalid value" or "overflow encountered"
warning. The value and the gradient must be torch's, and any warning fails the test (the
suite's pytest config turns warnings into errors; the check below does so on its own too).
"""

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import functional as F

INF, NAN = np.inf, np.nan

CASES = {  # name: (function on either library's tensors, input values)
    "log of negatives": (lambda t: t.log(), [-1.0, -INF, 0.0, 2.0]),
    "sqrt of negatives": (lambda t: t.sqrt(), [-1.0, -INF, 0.0, 4.0]),
    "log1p below -1": (lambda t: t.log1p(), [-2.0, -INF, -1.0, 1.0]),
    "sin of inf": (lambda t: t.sin(), [INF, -INF, 1.0]),
    "cos of inf": (lambda t: t.cos(), [INF, -INF, 1.0]),
    "division by zero": (lambda t: 1 / t, [0.0, -0.0, 1e-45, 2.0]),
    "zero over zero": (lambda t: t / t, [0.0, INF, 1.0]),
    "negative power of zero": (lambda t: t ** -1, [0.0, 1e-45, 2.0]),
    "square root as a power": (lambda t: t ** 0.5, [-1.0, 0.0, 4.0]),
    "power past the range": (lambda t: 2.0 ** t, [1e4, 1.0]),
    "cube past the range": (lambda t: t ** 3, [1e38, -1e38, 1.0]),
    "softmax of inf": (lambda t: t.softmax(0), [INF, 1.0, 2.0]),
    "log_softmax of inf": (lambda t: t.log_softmax(0), [-INF, INF, 1.0]),
    "norm past the range": (lambda t: t.norm(), [1e38, 1e38]),
    "norm of inf": (lambda t: t.norm(), [INF, 1.0]),
    "cumsum past the range": (lambda t: t.cumsum(0)[-1], [3e38, 3e38]),
}


@pytest.mark.parametrize("name", CASES)
def test_inf_and_nan_come_back_as_torch_gives_them_without_a_warning(name):
    fn, values = CASES[name]
    data = np.array(values, dtype=np.float32)
    x = cr.tensor(data, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.backward(cr.ones_like(y))
    xt = torch.tensor(data, requires_grad=True)
    yt = fn(xt)
    yt.backward(torch.ones_like(yt))
    np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=1e-6, err_msg=f"{name}: value")
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-6,
                               err_msg=f"{name}: gradient")


def test_mse_loss_past_the_range_is_inf_without_a_warning():
    y = cr.tensor([3e38, 0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.mse_loss(y, cr.tensor([-3e38, 0.0]))
        loss.backward()
    assert loss.item() == INF
    expected = torch.nn.functional.mse_loss(torch.tensor([3e38, 0.0]), torch.tensor([-3e38, 0.0]))
    assert expected.item() == INF


def test_prod_past_the_range_is_inf_without_a_warning():
    # the gradient is the product of the other elements, 1e38 each here, which is finite; torch
    # computes it as prod / x = inf / 1e38 = inf: the one value in this file that differs
    x = cr.tensor([1e38, 1e38, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.prod()
        y.backward()
    assert y.item() == INF
    np.testing.assert_array_equal(x.grad.array, np.array([1e38, 1e38, INF], dtype=np.float32))
