"""nn.utils: gradient clipping compared with torch.nn.utils."""

import math

import numpy as np
import pytest
import torch

from chainrule import nn, tensor
from chainrule.nn.utils import clip_grad_norm_


def _with_grads(grads):
    params = [nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = tensor(g.copy())
    torch_params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(torch_params, grads):
        p.grad = torch.tensor(g.copy())
    return params, torch_params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 0.5, math.inf, "inf"])
def test_clip_grad_norm_matches_torch(norm_type):
    params, torch_params = _with_grads([np.array([3.0, 4.0]), np.array([[12.0], [-1.0]])])
    total = clip_grad_norm_(params, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, 1.0, norm_type)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(params, torch_params):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_accepts_a_single_tensor_as_torch_does():
    (p,), (q,) = _with_grads([np.array([3.0, 4.0])])
    total = clip_grad_norm_(p, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(q, 1.0)
    assert total == pytest.approx(float(expected))
    np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("norm_type", [0, -1.0])
def test_clip_grad_norm_names_a_norm_type_that_is_not_positive(norm_type):
    params, _ = _with_grads([np.array([3.0, 4.0])])
    with pytest.raises(ValueError, match="norm_type must be positive"):
        clip_grad_norm_(params, 1.0, norm_type)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_a_nonfinite_gradient_is_clipped_as_torch_does(bad, norm_type):
    params, torch_params = _with_grads([np.array([bad, 10.0]), np.array([1.0])])
    total = clip_grad_norm_(params, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, 1.0, norm_type)
    np.testing.assert_equal(total, float(expected))
    for p, q in zip(params, torch_params):
        np.testing.assert_array_equal(p.grad.array, q.grad.numpy())  # NaN where torch has NaN


def test_error_if_nonfinite_raises_and_leaves_the_gradients_alone():
    params, torch_params = _with_grads([np.array([math.nan, 10.0])])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(torch_params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad.array, [math.nan, 10.0])
