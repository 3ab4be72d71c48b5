"""Adam and AdamW follow torch.optim.Adam / AdamW step by step."""

import itertools

import numpy as np
import pytest
import torch
from optim_helpers import run_side_by_side

from chainrule import nn, optim

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def _adam_options():
    for betas, weight_decay, amsgrad, maximize, eps in itertools.product(
            ((0.9, 0.999), (0.5, 0.8)), (0.0, 0.1), (False, True), (False, True), (1e-8, 1e-2)):
        yield dict(lr=0.02, betas=betas, weight_decay=weight_decay, amsgrad=amsgrad,
                   maximize=maximize, eps=eps)


@pytest.mark.parametrize("kwargs", list(_adam_options()), ids=str)
def test_adam_matches_torch_every_step(kwargs):
    run_side_by_side(optim.Adam, torch.optim.Adam, kwargs)


@pytest.mark.parametrize("kwargs", list(_adam_options()), ids=str)
def test_adamw_matches_torch_every_step(kwargs):
    run_side_by_side(optim.AdamW, torch.optim.AdamW, kwargs)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW], ids=lambda c: c.__name__)
def test_adam_defaults_match_torch(cls):
    run_side_by_side(cls, getattr(torch.optim, cls.__name__), {}, steps=10)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW], ids=lambda c: c.__name__)
def test_adam_with_two_param_groups_and_skipped_gradients_matches_torch(cls):
    groups = [([0], dict(lr=0.05, amsgrad=True)),
              ([1, 2], dict(betas=(0.8, 0.99), weight_decay=0.3))]
    run_side_by_side(cls, getattr(torch.optim, cls.__name__), dict(lr=0.01), groups=groups,
                     skip_every=4)


def test_first_adam_step_moves_every_weight_by_about_lr():
    # After bias correction m̂ = g and v̂ = g², so the first step is lr·g/(|g| + ε) ≈ ±lr.
    w = nn.Parameter(np.array([1.0, 1.0, 1.0]))
    w.grad = nn.Parameter(np.array([0.01, 5.0, -200.0]), requires_grad=False)
    optim.Adam([w], lr=0.1).step()
    np.testing.assert_allclose(w.array, [0.9, 0.9, 1.1], rtol=1e-6)


def test_adamw_decays_weights_without_a_gradient_term():
    w = nn.Parameter(np.array([2.0]))
    w.grad = nn.Parameter(np.array([0.0]), requires_grad=False)
    optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    assert w.array[0] == 2.0 * (1 - 0.1 * 0.5)  # zero gradient: m = 0, only the decay acts
