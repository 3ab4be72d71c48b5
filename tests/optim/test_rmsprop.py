"""RMSprop follows torch.optim.RMSprop step by step."""

import itertools

import numpy as np
import pytest
import torch
from optim_helpers import run_side_by_side

from chainrule import nn, optim

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def _rmsprop_options():
    for alpha, momentum, centered, weight_decay, maximize in itertools.product(
            (0.99, 0.8), (0.0, 0.5), (False, True), (0.0, 0.1), (False, True)):
        yield dict(lr=0.01, alpha=alpha, momentum=momentum, centered=centered,
                   weight_decay=weight_decay, maximize=maximize)


@pytest.mark.parametrize("kwargs", list(_rmsprop_options()), ids=str)
def test_rmsprop_matches_torch_every_step(kwargs):
    run_side_by_side(optim.RMSprop, torch.optim.RMSprop, kwargs)


def test_rmsprop_defaults_match_torch():
    run_side_by_side(optim.RMSprop, torch.optim.RMSprop, {}, steps=10)


def test_rmsprop_with_two_param_groups_and_skipped_gradients_matches_torch():
    groups = [([0], dict(centered=True, momentum=0.9)), ([1, 2], dict(lr=0.003, eps=1e-3))]
    run_side_by_side(optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01), groups=groups,
                     skip_every=5)


def test_rmsprop_first_step_divides_by_root_of_one_minus_alpha():
    # s = (1 − α)·g² after one step, so the step is lr·g/(√(1 − α)·|g|).
    w = nn.Parameter(np.array([0.0, 0.0]))
    w.grad = nn.Parameter(np.array([2.0, -0.01]), requires_grad=False)
    optim.RMSprop([w], lr=0.1, alpha=0.75, eps=0.0).step()
    np.testing.assert_allclose(w.array, [-0.2, 0.2], rtol=1e-15)
