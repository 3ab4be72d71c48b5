"""GELU (exact and tanh), SiLU and Softplus: gradchecked in float64 and compared with torch on
random shapes; the modules match torch's; ``inplace=`` is accepted and leaves the input alone."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_op, compare_with_torch, normal, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.ops import smooth_activation

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


@given(shapes(), st.sampled_from(["none", "tanh"]), seeds)
def test_gelu_matches_torch(shape, approximate, seed):
    check_op(lambda x: F.gelu(x, approximate=approximate), [normal(seed, shape, 3.0)],
             torch_fn=lambda x: TF.gelu(x, approximate=approximate))


def test_gelu_without_scipy_uses_math_erf(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    x = normal(0, (3, 4), 2.0)
    np.testing.assert_allclose(smooth_activation.erf(x), torch.erf(torch.tensor(x)).numpy(),
                               rtol=1e-14)


@given(shapes(), seeds)
def test_silu_matches_torch(shape, seed):
    check_op(F.silu, [normal(seed, shape, 3.0)], torch_fn=TF.silu)


@given(shapes(), st.sampled_from([1.0, 2.0, 0.5]), st.sampled_from([20.0, 1.0]), seeds)
def test_softplus_matches_torch_on_both_sides_of_the_threshold(shape, beta, threshold, seed):
    # values kept off the threshold itself, where the two branches meet with a kink
    x = normal(seed, shape, 3.0)
    x = np.where(np.abs(x * beta - threshold) < 0.05, x + 0.2, x)
    check_op(lambda x: F.softplus(x, beta, threshold), [x],
             torch_fn=lambda x: TF.softplus(x, beta, threshold))


def test_softplus_stays_finite_for_huge_inputs_with_a_huge_threshold():
    y = F.softplus(cr.tensor([1000.0, -1000.0]), threshold=1e9)
    np.testing.assert_allclose(y.array, [1000.0, 0.0])


@pytest.mark.parametrize("ours,theirs", [
    (nn.GELU(), torch.nn.GELU()), (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.SiLU(), torch.nn.SiLU()), (nn.Softplus(2.0, 3.0), torch.nn.Softplus(2.0, 3.0)),
])
def test_activation_layers_match_torch(ours, theirs):
    compare_with_torch(lambda x: ours(x), [normal(1, (4, 5), 2.0)], torch_fn=lambda x: theirs(x))


@pytest.mark.parametrize("name,args", [("ReLU", ()), ("LeakyReLU", (0.1,)), ("ELU", (0.5,)),
                                       ("SiLU", ()), ("Dropout", (0.0,))])
def test_inplace_is_accepted_and_the_input_keeps_its_values(name, args):
    layer = getattr(nn, name)(*args, inplace=True)
    x = cr.tensor(normal(2, (3, 4)), requires_grad=True)
    before = x.array.copy()
    y = layer(x)
    theirs = getattr(torch.nn, name)(*args)
    np.testing.assert_allclose(y.array, theirs(torch.tensor(before)).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(x.array, before)
    y.sum().backward()
    assert x.grad is not None


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(ValueError, match=r"GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
