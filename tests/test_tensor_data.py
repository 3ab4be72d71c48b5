"""``.data`` as torch has it: the same numbers as a tensor outside the graph, sharing memory."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn


def test_data_is_a_detached_tensor_sharing_the_numbers():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = w.data
    assert isinstance(d, cr.Tensor)
    assert not d.requires_grad and d.grad_fn is None
    d.mul_(2)  # allowed outside no_grad: d needs no gradient
    np.testing.assert_array_equal(w.array, [2.0, 4.0, 6.0])


def test_init_idioms_through_data_change_the_weight_as_in_torch():
    cr.manual_seed(0)
    layer = nn.Linear(4, 3)
    layer.weight.data.fill_(0.5)
    layer.bias.data.zero_()
    t_layer = torch.nn.Linear(4, 3)
    t_layer.weight.data.fill_(0.5)
    t_layer.bias.data.zero_()
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(layer(cr.tensor(x)).array, t_layer(torch.tensor(x)).detach().numpy())
    layer.weight.data.normal_(0, 0.01)
    assert 0 < float(np.std(layer.weight.array)) < 0.05


def test_a_manual_sgd_step_on_data_matches_torch():
    x = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    w0 = np.array([0.3, -0.7], dtype=np.float32)
    w, tw = cr.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    for _ in range(3):
        for p, xs in ((w, cr.tensor(x)), (tw, torch.tensor(x))):
            loss = ((xs @ p) ** 2).sum()
            loss.backward()
            p.data -= 0.01 * p.grad.data
            p.grad.data.zero_()
    np.testing.assert_allclose(w.array, tw.detach().numpy(), rtol=1e-6)


def test_assigning_data_swaps_the_numbers_and_keeps_the_parameter():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    layer.weight.data = cr.ones(3, 2)
    assert layer.weight is weight and weight.shape == (3, 2)
    weight.data = np.zeros((3, 2), dtype=np.float32)
    np.testing.assert_array_equal(weight.array, 0)


def test_changing_data_of_a_tensor_in_a_graph_is_not_seen_by_backward_as_in_torch():
    # torch documents .data as unsafe for exactly this: the change is invisible to autograd
    w = cr.tensor([2.0], requires_grad=True)
    y = w * w
    w.data.fill_(5.0)
    y.backward()
    tw = torch.tensor([2.0], requires_grad=True)
    ty = tw * tw
    tw.data.fill_(5.0)
    ty.backward()
    np.testing.assert_allclose(w.grad.array, tw.grad.numpy())


def test_a_tensor_that_requires_grad_still_refuses_in_place_changes():
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w.mul_(2)
