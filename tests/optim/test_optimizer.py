"""The Optimizer contract shared by every optimizer: groups, state, zero_grad, step, errors."""

import doctest

import numpy as np
import pytest
import torch
from optim_helpers import run_side_by_side

import chainrule as cr
from chainrule import nn, optim

ALL = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW]


def _param(values=(1.0, 2.0), dtype=np.float64):
    return nn.Parameter(np.array(values, dtype=dtype))


def _with_grad(p, grad):
    p.grad = cr.Tensor(np.asarray(grad, dtype=p.array.dtype))
    return p


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_defaults_match_torch(cls):
    ours = cls([_param()]).defaults
    theirs = getattr(torch.optim, cls.__name__)([torch.zeros(2, requires_grad=True)]).defaults
    assert ours == {k: theirs[k] for k in ours}


def test_param_groups_fill_missing_hyperparameters_from_defaults():
    a, b = _param(), _param()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is b


def test_add_param_group_adds_parameters_that_then_get_updated():
    a, b = _with_grad(_param(), [1.0, 1.0]), _with_grad(_param(), [1.0, 1.0])
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 1.0})
    opt.step()
    np.testing.assert_allclose(a.array, [0.9, 1.9])
    np.testing.assert_allclose(b.array, [0.0, 1.0])


def test_state_is_keyed_by_the_parameter_object():
    a, b = _with_grad(_param(), [1.0, 1.0]), _with_grad(_param(), [2.0, 2.0])
    opt = optim.Adam([a, b])
    opt.step()
    assert set(map(id, opt.state)) == {id(a), id(b)}
    assert all(isinstance(k, nn.Parameter) for k in opt.state)
    np.testing.assert_allclose(opt.state[b]["exp_avg"], [0.2, 0.2])


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_parameters_without_gradient_are_skipped(cls):
    a, b = _with_grad(_param(), [1.0, -1.0]), _param((5.0, 6.0))
    opt = cls([a, b], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(b.array, [5.0, 6.0])
    assert b not in opt.state
    assert not np.array_equal(a.array, [1.0, 2.0])


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_step_updates_data_in_place_without_building_a_graph(cls):
    p = _with_grad(_param(), [0.5, -0.5])
    data = p.array
    cls([p], lr=0.1).step()
    assert p.array is data
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_float32_parameters_and_state_stay_float32(cls):
    p = _with_grad(_param(dtype=np.float32), [0.5, -0.5])
    extra = {"momentum": 0.9} if cls in (optim.SGD, optim.RMSprop) else {}
    opt = cls([p], lr=0.1, **extra)
    for _ in range(3):
        opt.step()
    assert p.array.dtype == np.float32
    arrays = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_float32_follows_torch_to_float32_precision(cls):
    run_side_by_side(cls, getattr(torch.optim, cls.__name__), dict(lr=0.01),
                     dtype=np.float32, rtol=1e-4, steps=20)


def test_step_does_not_modify_the_gradient():
    p = _with_grad(_param(), [0.5, -0.5])
    optim.Adam([p], weight_decay=0.1, maximize=True).step()
    np.testing.assert_array_equal(p.grad.array, [0.5, -0.5])


def test_zero_grad_sets_gradients_to_none_by_default():
    a, b = _with_grad(_param(), [1.0, 1.0]), _param()
    optim.SGD([a, b]).zero_grad()
    assert a.grad is None and b.grad is None


def test_zero_grad_without_set_to_none_zeroes_the_same_gradient_tensor():
    a, b = _with_grad(_param(), [1.0, 1.0]), _param()
    grad = a.grad
    optim.SGD([a, b]).zero_grad(set_to_none=False)
    assert a.grad is grad
    np.testing.assert_array_equal(a.grad.array, [0.0, 0.0])
    assert b.grad is None


def test_step_with_closure_returns_its_loss_and_records_the_graph_under_no_grad():
    w = _param((3.0,))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with cr.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(w.array, [3.0 - 0.25 * 6.0])


def test_base_optimizer_step_is_not_implemented():
    with pytest.raises(NotImplementedError, match="step"):
        optim.Optimizer([_param()], {"lr": 0.1}).step()


def test_package_docstring_example_runs():
    result = doctest.testmod(optim, verbose=False)
    assert result.attempted > 0 and result.failed == 0


# -- clear errors for bad input --------------------------------------------------------------
def test_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_a_single_tensor_instead_of_a_list_is_an_error():
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(_param(), lr=0.1)


@pytest.mark.parametrize("model", [nn.Linear(2, 1), nn.Sequential(nn.Linear(2, 1), nn.Tanh())])
def test_a_model_instead_of_its_parameters_is_an_error_that_says_so(model):
    with pytest.raises(TypeError, match=r"pass model.parameters\(\)"):
        optim.Adam(model, lr=0.1)


def test_a_set_of_parameters_is_an_error():
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {_param()}}], lr=0.1)


def test_a_parameter_in_two_groups_is_an_error():
    p = _param()
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p, _param()]}], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_negative_learning_rate_is_an_error(cls):
    with pytest.raises(ValueError, match="learning rate"):
        cls([_param()], lr=-0.1)
    with pytest.raises(ValueError, match="learning rate"):
        cls([{"params": [_param()], "lr": -1.0}])


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, -0.1), (0.9, 1.5)])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW], ids=lambda c: c.__name__)
def test_betas_outside_zero_one_are_an_error(cls, betas):
    with pytest.raises(ValueError, match="beta"):
        cls([_param()], betas=betas)


@pytest.mark.parametrize("cls, kwargs", [
    (optim.SGD, dict(momentum=-0.5)),
    (optim.RMSprop, dict(momentum=-0.5)),
    (optim.Adam, dict(eps=-1e-8)),
    (optim.RMSprop, dict(eps=-1e-8)),
    (optim.Adagrad, dict(eps=-1e-8)),
    (optim.Adagrad, dict(lr_decay=-0.1)),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0)),
    (optim.RMSprop, dict(alpha=-0.1)),
    (optim.SGD, dict(weight_decay=-0.1)),
    (optim.Adam, dict(weight_decay=-0.1)),
], ids=str)
def test_negative_hyperparameters_are_errors(cls, kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs)).split("_")[0]):
        cls([_param()], **kwargs)


@pytest.mark.parametrize("kwargs", [dict(nesterov=True),
                                    dict(nesterov=True, momentum=0.9, dampening=0.1)], ids=str)
def test_nesterov_needs_momentum_and_no_dampening(kwargs):
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([_param()], lr=0.1, **kwargs)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_integer_tensor_is_an_error(cls):
    with pytest.raises(TypeError, match="floating-point.*int64"):
        cls([cr.tensor([1, 2])])


def test_non_tensor_parameter_is_an_error():
    with pytest.raises(TypeError, match="only optimize Tensors.*ndarray"):
        optim.SGD([np.zeros(3)], lr=0.1)


def test_non_leaf_tensor_is_an_error():
    p = _param()
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_gradient_of_the_wrong_shape_is_an_error():
    p = _param()
    p.grad = cr.Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        optim.SGD([p], lr=0.1).step()


def test_named_parameters_are_taken_as_torch_takes_them():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.array))
        theirs.bias.copy_(torch.from_numpy(ours.bias.array))
    opt = optim.Adam(ours.named_parameters(), lr=0.1)
    topt = torch.optim.Adam(theirs.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"]
    group_params = opt.param_groups[0]["params"]
    assert len(group_params) == 2
    assert group_params[0] is ours.weight and group_params[1] is ours.bias
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for _ in range(3):
        opt.zero_grad()
        ours(cr.tensor(x)).square().sum().backward()
        opt.step()
        topt.zero_grad()
        theirs(torch.from_numpy(x)).square().sum().backward()
        topt.step()
    np.testing.assert_allclose(ours.weight.array, theirs.weight.detach().numpy(), rtol=1e-5)
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_a_mix_of_named_and_unnamed_parameters_is_refused():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="param_groups\\[0\\]: give every parameter with its name"):
        optim.SGD([("weight", model.weight), model.bias], lr=0.1)
