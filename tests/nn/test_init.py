"""nn.init: the documented distributions, and torch's gains."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param))


def _t(shape):
    return cr.zeros(*shape)


def test_xavier_uniform_bound():
    w = nn.init.xavier_uniform_(_t((200, 300)))
    bound = math.sqrt(6 / 500)
    assert np.abs(w.array).max() <= bound and np.abs(w.array).max() > 0.95 * bound


def test_xavier_normal_std():
    w = nn.init.xavier_normal_(_t((400, 600)), gain=2.0)
    assert w.array.std() == pytest.approx(2 * math.sqrt(2 / 1000), rel=0.03)


def test_kaiming_normal_std_for_relu():
    w = nn.init.kaiming_normal_(_t((500, 400)), nonlinearity="relu")
    assert w.array.std() == pytest.approx(math.sqrt(2 / 400), rel=0.03)


def test_kaiming_uniform_fan_out():
    w = nn.init.kaiming_uniform_(_t((100, 50)), mode="fan_out", nonlinearity="relu")
    assert np.abs(w.array).max() <= math.sqrt(2) * math.sqrt(3 / 100)


def test_constant_zeros_ones_normal_uniform():
    t = _t((3, 4))
    assert np.all(nn.init.constant_(t, 0.5).array == 0.5)
    assert np.all(nn.init.ones_(t).array == 1)
    assert np.all(nn.init.zeros_(t).array == 0)
    u = nn.init.uniform_(_t((1000,)), -2, 3).array
    assert u.min() >= -2 and u.max() <= 3
    n = nn.init.normal_(_t((20000,)), 1.0, 0.5).array
    assert n.mean() == pytest.approx(1.0, abs=0.02) and n.std() == pytest.approx(0.5, rel=0.03)


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(_t((5,)))


def test_unknown_nonlinearity_is_named():
    with pytest.raises(ValueError, match="swish"):
        nn.init.calculate_gain("swish")
