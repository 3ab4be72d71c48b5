"""SGD, Momentum and Nesterov follow torch.optim.SGD step by step."""

import itertools

import numpy as np
import pytest
import torch
from optim_helpers import run_side_by_side

from chainrule import nn, optim

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def _sgd_options():
    for momentum, dampening, nesterov, weight_decay, maximize in itertools.product(
            (0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 0.1), (False, True)):
        if nesterov and (momentum == 0 or dampening != 0):
            continue  # torch rejects these; see test_optimizer_errors
        yield dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=weight_decay, maximize=maximize)


@pytest.mark.parametrize("kwargs", list(_sgd_options()), ids=str)
def test_sgd_matches_torch_every_step(kwargs):
    run_side_by_side(optim.SGD, torch.optim.SGD, kwargs)


def test_sgd_with_two_param_groups_and_skipped_gradients_matches_torch():
    groups = [([0, 2], {}), ([1], dict(lr=0.02, momentum=0.5, dampening=0.1, weight_decay=0.2))]
    run_side_by_side(optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=False),
                     groups=groups, skip_every=3)


def test_sgd_default_lr_matches_torch_2():
    run_side_by_side(optim.SGD, torch.optim.SGD, {}, steps=5)


def test_momentum_is_sgd_with_momentum_0_9_and_lr_0_01():
    run_side_by_side(optim.Momentum, torch.optim.SGD, {},
                     torch_kwargs=dict(lr=0.01, momentum=0.9))


def test_nesterov_is_sgd_with_nesterov_momentum_0_9():
    run_side_by_side(optim.Nesterov, torch.optim.SGD, dict(weight_decay=0.1),
                     torch_kwargs=dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1))


def test_plain_sgd_step_is_theta_minus_lr_times_grad():
    w = nn.Parameter(np.array([1.0, -2.0, 3.0]))
    w.grad = nn.Parameter(np.array([0.5, 0.5, -1.0]), requires_grad=False)
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_array_equal(w.array, np.array([1.0, -2.0, 3.0]) - 0.1 * np.array(
        [0.5, 0.5, -1.0]))


def test_first_momentum_step_starts_buffer_at_the_gradient_not_damped():
    w = nn.Parameter(np.array([0.0]))
    w.grad = nn.Parameter(np.array([2.0]), requires_grad=False)
    opt = optim.SGD([w], lr=1.0, momentum=0.9, dampening=0.5)
    opt.step()
    assert opt.state[w]["momentum_buffer"][0] == 2.0  # not (1 - 0.5)·2
    assert w.array[0] == -2.0
