"""Layers: Linear's layout and initialisation, Flatten, Dropout, activation and loss modules."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def test_linear_weight_is_out_by_in():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.dtype == np.float32


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    cr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.array
    assert np.abs(w).max() <= bound
    # uniform(-b, b) has standard deviation b/sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(layer.bias.array).max() <= bound


def test_manual_seed_makes_init_repeatable():
    cr.manual_seed(7)
    a = nn.Linear(4, 4).weight.array.copy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(a, nn.Linear(4, 4).weight.array)


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and len(list(layer.parameters())) == 1
    assert layer(cr.ones(1, 3)).shape == (1, 2)


def test_linear_wrong_input_width_names_the_shapes():
    with pytest.raises(cr.ShapeError, match=r"\(5, 4\).*\(2, 3\)"):
        nn.Linear(3, 2)(cr.ones(5, 4))


def test_linear_rejects_nonpositive_sizes():
    with pytest.raises(ValueError, match="in_features=0"):
        nn.Linear(0, 2)


def test_flatten_keeps_the_batch_axis():
    assert nn.Flatten()(cr.ones(4, 2, 3)).shape == (4, 6)


def test_dropout_is_identity_in_eval_and_scales_in_train():
    d = nn.Dropout(0.5)
    x = cr.ones(1000)
    d.eval()
    np.testing.assert_array_equal(d(x).array, x.array)
    d.train()
    y = d(x).array
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6


@pytest.mark.parametrize("ours,theirs", [
    (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()), (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)), (nn.ELU(0.7), torch.nn.ELU(0.7)),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    (nn.Identity(), torch.nn.Identity()),
])
def test_activation_modules_match_torch(ours, theirs):
    x = np.random.default_rng(1).standard_normal((4, 3))
    np.testing.assert_allclose(ours(cr.tensor(x)).array, theirs(torch.tensor(x)).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_step_module_outputs_zero_or_one_and_passes_no_gradient():
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = nn.Step()(x)
    np.testing.assert_array_equal(y.array, [0, 0, 1])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0, 0, 0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_torch(reduction):
    rng = np.random.default_rng(2)
    z = rng.standard_normal((6, 3))
    c = rng.integers(0, 3, 6)
    t = rng.random((6, 3))
    p = 1 / (1 + np.exp(-z))
    cases = [
        (nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction), z, t),
        (nn.CrossEntropyLoss(reduction=reduction),
         torch.nn.CrossEntropyLoss(reduction=reduction), z, c),
        (nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction),
         np.log(p / p.sum(1, keepdims=True)), c),
        (nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), p,
         (t > 0.5) * 1.0),
        (nn.BCEWithLogitsLoss(reduction=reduction),
         torch.nn.BCEWithLogitsLoss(reduction=reduction), z, t),
    ]
    for ours, theirs, inp, target in cases:
        got = ours(cr.tensor(inp), target).array
        expected = theirs(torch.tensor(inp), torch.tensor(target)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, err_msg=type(ours).__name__)


def test_sse_loss_is_half_the_sum_of_squares():
    y, t = np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 2.0])
    assert nn.SSELoss()(cr.tensor(y), t).item() == pytest.approx(0.5 * (1 + 0 + 4))


def test_loss_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")


def test_loss_takes_torchs_positional_order_and_refuses_a_reduction_in_size_averages_place():
    # torch's MSELoss(size_average=None, reduce=None, reduction='mean'): the first positional
    # argument is the deprecated size_average flag, not the reduction
    with pytest.raises(TypeError, match="size_average.*reduction="):
        nn.MSELoss("sum")


@pytest.mark.parametrize("layer, torch_layer", [
    (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()), (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)), (nn.ELU(0.5), torch.nn.ELU(0.5)),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
])
def test_activation_layers_take_a_list_or_an_array_as_linear_does(layer, torch_layer):
    rows = [[1.5, -2.0, 0.25], [-0.5, 3.0, -1.0]]
    expected = torch_layer(torch.tensor(rows)).numpy()
    np.testing.assert_allclose(layer(rows).array, expected, rtol=1e-6)
    np.testing.assert_allclose(layer(np.array(rows, np.float32)).array, expected, rtol=1e-6)


def test_the_step_layer_takes_a_list():
    np.testing.assert_array_equal(nn.Step()([[1.5, -2.0]]).array, [[1.0, 0.0]])
