"""Adagrad follows torch.optim.Adagrad step by step."""

import itertools

import numpy as np
import pytest
import torch
from optim_helpers import run_side_by_side

from chainrule import nn, optim

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def _adagrad_options():
    for lr_decay, weight_decay, initial, eps, maximize in itertools.product(
            (0.0, 0.05), (0.0, 0.1), (0.0, 0.5), (1e-10, 1e-2), (False, True)):
        yield dict(lr=0.1, lr_decay=lr_decay, weight_decay=weight_decay,
                   initial_accumulator_value=initial, eps=eps, maximize=maximize)


@pytest.mark.parametrize("kwargs", list(_adagrad_options()), ids=str)
def test_adagrad_matches_torch_every_step(kwargs):
    run_side_by_side(optim.Adagrad, torch.optim.Adagrad, kwargs)


def test_adagrad_defaults_match_torch():
    run_side_by_side(optim.Adagrad, torch.optim.Adagrad, {}, steps=10)


def test_adagrad_with_two_param_groups_and_skipped_gradients_matches_torch():
    groups = [([0, 1], dict(lr_decay=0.1)), ([2], dict(lr=0.3, weight_decay=0.2))]
    run_side_by_side(optim.Adagrad, torch.optim.Adagrad,
                     dict(lr=0.1, initial_accumulator_value=0.5), groups=groups, skip_every=3)


def test_adagrad_honours_a_groups_own_initial_accumulator_value():
    # torch fills every group's accumulator from the constructor's value; here the group wins.
    a, b = nn.Parameter(np.array([0.0])), nn.Parameter(np.array([0.0]))
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}],
                        lr=1.0, eps=0.0)
    a.grad = nn.Parameter(np.array([1.0]), requires_grad=False)
    b.grad = nn.Parameter(np.array([1.0]), requires_grad=False)
    opt.step()
    assert a.array[0] == -1.0  # 1/√(0 + 1)
    assert b.array[0] == -0.5  # 1/√(3 + 1)


def test_adagrad_divides_by_root_of_summed_squared_gradients():
    w = nn.Parameter(np.array([0.0]))
    opt = optim.Adagrad([w], lr=1.0, eps=0.0)
    for g in (3.0, 4.0):
        w.grad = nn.Parameter(np.array([g]), requires_grad=False)
        opt.step()
    # steps: 3/√9 = 1, then 4/√(9 + 16) = 0.8
    np.testing.assert_allclose(w.array, [-1.8], rtol=1e-15)
