"""Adadelta, Adamax, NAdam, RAdam and Rprop follow torch.optim step by step (with and without
``foreach=True``: ``run_side_by_side`` runs both), and reject bad arguments by name."""

import itertools

import numpy as np
import pytest
import torch
from optim_helpers import continue_side_by_side, run_side_by_side

import chainrule as cr
from chainrule import nn, optim

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def _grid(**choices):
    keys = list(choices)
    return [dict(zip(keys, values)) for values in itertools.product(*choices.values())]


CASES = {
    "Adadelta": _grid(lr=(1.0, 0.3), rho=(0.9, 0.5), eps=(1e-6, 1e-2), weight_decay=(0.0, 0.1),
                      maximize=(False, True)),
    "Adamax": _grid(lr=(0.02,), betas=((0.9, 0.999), (0.5, 0.8)), eps=(1e-8, 1e-1),
                    weight_decay=(0.0, 0.1), maximize=(False, True)),
    "NAdam": _grid(lr=(0.02,), betas=((0.9, 0.999), (0.5, 0.8)), weight_decay=(0.0, 0.1),
                   momentum_decay=(4e-3, 0.5), decoupled_weight_decay=(False, True),
                   maximize=(False, True)),
    "RAdam": _grid(lr=(0.02,), betas=((0.9, 0.999), (0.5, 0.8)), eps=(1e-8, 1e-2),
                   weight_decay=(0.0, 0.1), decoupled_weight_decay=(False, True),
                   maximize=(False, True)),
    "Rprop": _grid(lr=(0.01, 0.2), etas=((0.5, 1.2), (0.3, 1.5)),
                   step_sizes=((1e-6, 50), (1e-3, 0.05)), maximize=(False, True)),
}
NAMES = list(CASES)


@pytest.mark.parametrize("name, kwargs",
                         [(name, kw) for name, grid in CASES.items() for kw in grid], ids=str)
def test_matches_torch_every_step(name, kwargs):
    run_side_by_side(getattr(optim, name), getattr(torch.optim, name), kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_match_torch(name):
    run_side_by_side(getattr(optim, name), getattr(torch.optim, name), {}, steps=20)


@pytest.mark.parametrize("name", NAMES)
def test_two_param_groups_and_skipped_gradients_match_torch(name):
    first = dict(lr=0.05)
    second = {"Adadelta": dict(rho=0.7, weight_decay=0.2), "Rprop": dict(etas=(0.4, 1.1)),
              }.get(name, dict(betas=(0.8, 0.99), weight_decay=0.3))
    groups = [([0], first), ([1, 2], second)]
    run_side_by_side(getattr(optim, name), getattr(torch.optim, name), dict(lr=0.01),
                     groups=groups, skip_every=4)


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_match_torch(name):
    run_side_by_side(getattr(optim, name), getattr(torch.optim, name), dict(lr=0.01),
                     dtype=np.float32, rtol=2e-5, steps=20)


def test_radam_steps_by_momentum_alone_while_the_variance_is_unreliable():
    # β₂ = 0.999: ρ₁ = 1 ≤ 5, so the first step is θ − η·m̂ = θ − η·g, whatever g's size.
    w = nn.Parameter(np.array([1.0, 1.0]))
    w.grad = nn.Parameter(np.array([0.5, -3.0]), requires_grad=False)
    optim.RAdam([w], lr=0.1).step()
    np.testing.assert_allclose(w.array, [0.95, 1.3], rtol=1e-12)


def test_rprop_uses_only_the_sign_of_the_gradient():
    w = nn.Parameter(np.array([0.0, 0.0]))
    opt = optim.Rprop([w], lr=0.1)
    for _ in range(2):
        w.grad = nn.Parameter(np.array([1e-9, -1e9]), requires_grad=False)
        opt.step()
    np.testing.assert_allclose(w.array, [-0.1 - 0.12, 0.1 + 0.12], rtol=1e-12)


BAD = [
    ("Adadelta", dict(lr=-1.0), "lr"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("Adadelta", dict(eps=-1e-6), "eps"),
    ("Adadelta", dict(weight_decay=-0.1), "weight_decay"),
    ("Adamax", dict(betas=(1.0, 0.9)), "beta"),
    ("Adamax", dict(betas=(0.9,)), "betas"),
    ("Adamax", dict(eps=-1.0), "eps"),
    ("NAdam", dict(momentum_decay=-0.1), "momentum_decay"),
    ("NAdam", dict(betas=(0.9, -0.1)), "beta"),
    ("NAdam", dict(weight_decay=-1.0), "weight_decay"),
    ("RAdam", dict(lr=float("nan")), "lr"),
    ("RAdam", dict(betas=(0.9, 1.0)), "beta"),
    ("Rprop", dict(etas=(1.5, 1.2)), "etas"),
    ("Rprop", dict(etas=(0.5,)), "etas"),
    ("Rprop", dict(step_sizes=(1.0, 0.1)), "step_sizes"),
    ("Rprop", dict(lr=-0.1), "lr"),
]


@pytest.mark.parametrize("name, kwargs, word", BAD, ids=str)
def test_bad_arguments_are_named(name, kwargs, word):
    with pytest.raises(ValueError, match=word):
        getattr(optim, name)([nn.Parameter(np.zeros(2))], **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_resumed_from_a_checkpoint_file_still_matches_torch(name, tmp_path):
    kwargs = CASES[name][-1]
    ours, theirs, opt, topt, bowl = run_side_by_side(getattr(optim, name),
                                                     getattr(torch.optim, name), kwargs, steps=10)
    path = str(tmp_path / "optimizer.safetensors")
    cr.save({"optimizer": opt.state_dict()}, path)
    params = [nn.Parameter(p.array.copy()) for p in ours]
    resumed = getattr(optim, name)(params, lr=123.0)
    resumed.load_state_dict(cr.load(path)["optimizer"])
    continue_side_by_side(params, theirs, resumed, topt, bowl, 20, what=f"{name} resumed")
