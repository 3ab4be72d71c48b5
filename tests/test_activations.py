"""The activations of ``chainrule.nn.functional``, ``F.linear`` and ``F.dropout``: gradients pass
the finite-difference check and match PyTorch; the saturating ones stay finite at huge inputs.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import away_from, check_op, compare_with_torch, normal, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


@given(shapes(), seeds)
def test_sigmoid(shape, seed):
    check_op(F.sigmoid, [normal(seed, shape, 3.0)], torch_fn=torch.sigmoid)


@given(shapes(), seeds)
def test_tanh(shape, seed):
    check_op(F.tanh, [normal(seed, shape, 2.0)], torch_fn=torch.tanh)


@given(shapes(), seeds)
def test_relu_away_from_the_kink(shape, seed):
    check_op(F.relu, [away_from(seed, shape)], torch_fn=torch.relu)


@given(shapes(), seeds, st.sampled_from([0.01, 0.2]))
def test_leaky_relu_away_from_the_kink(shape, seed, slope):
    check_op(lambda a: F.leaky_relu(a, slope), [away_from(seed, shape)],
             torch_fn=lambda a: TF.leaky_relu(a, slope))


@given(shapes(), seeds, st.sampled_from([1.0, 0.5]))
def test_elu_away_from_the_kink(shape, seed, alpha):
    check_op(lambda a: F.elu(a, alpha), [away_from(seed, shape)],
             torch_fn=lambda a: TF.elu(a, alpha))


def test_kinks_take_torchs_gradient_at_zero():
    x = [np.array([-1.0, 0.0, 1.0])]
    compare_with_torch(F.relu, x, torch_fn=torch.relu)
    compare_with_torch(lambda a: F.leaky_relu(a, 0.1), x, torch_fn=lambda a: TF.leaky_relu(a, 0.1))
    compare_with_torch(lambda a: F.elu(a, 0.5), x, torch_fn=lambda a: TF.elu(a, 0.5))


@pytest.mark.parametrize("fn, torch_fn", [(F.elu, TF.elu), (F.leaky_relu, TF.leaky_relu)])
def test_nan_input_takes_torch_s_gradient(fn, torch_fn):
    # torch tests x <= 0 (or x > 0) and sends g down the other branch; NaN fails both tests
    x = np.array([np.nan, -1.0, 2.0])
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fn(ours).backward(np.ones(3))
    torch_fn(theirs).backward(torch.ones(3, dtype=torch.float64))
    np.testing.assert_array_equal(ours.grad.array, theirs.grad.numpy())


@given(shapes(), seeds)
def test_step_is_one_above_zero_and_passes_no_gradient(shape, seed):
    # torch has no step function; its value and zero derivative are written out here.
    check_op(F.step, [away_from(seed, shape)], torch_fn=lambda a: (a > 0).double() + 0 * a)


@given(shapes(), seeds)
def test_identity_returns_its_input_and_passes_the_gradient_unchanged(shape, seed):
    x = cr.tensor(normal(seed, shape), requires_grad=True)
    assert F.identity(x) is x
    check_op(lambda a: F.identity(a) * 1.0, [normal(seed, shape)], torch_fn=lambda a: a * 1.0)


@st.composite
def shape_and_dim(draw):
    shape = draw(shapes(min_dims=1))
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


@given(shape_and_dim(), seeds)
def test_softmax(shape_dim, seed):
    shape, dim = shape_dim
    check_op(lambda a: F.softmax(a, dim), [normal(seed, shape, 2.0)],
             torch_fn=lambda a: torch.softmax(a, dim))


@given(shape_and_dim(), seeds)
def test_log_softmax(shape_dim, seed):
    shape, dim = shape_dim
    check_op(lambda a: F.log_softmax(a, dim), [normal(seed, shape, 2.0)],
             torch_fn=lambda a: torch.log_softmax(a, dim))


def test_softmax_rows_sum_to_one(rng):
    y = F.softmax(cr.tensor(rng.standard_normal((3, 5))), dim=1)
    np.testing.assert_allclose(y.array.sum(axis=1), np.ones(3), rtol=1e-12)


# -- stability at huge inputs ---------------------------------------------------------------------
BIG = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_and_saturates_at_huge_inputs(dtype):
    x = cr.tensor(BIG, dtype=dtype, requires_grad=True)
    y = F.sigmoid(x)
    y.sum().backward()
    assert np.isfinite(y.array).all() and np.isfinite(x.grad.array).all()
    assert y.array[0] == 0.0 and y.array[-1] == 1.0
    compare_with_torch(F.sigmoid, [BIG], torch_fn=torch.sigmoid)


@pytest.mark.parametrize("fn, torch_fn", [(F.softmax, torch.softmax),
                                          (F.log_softmax, torch.log_softmax)])
def test_softmax_and_log_softmax_are_finite_for_logits_of_1e4(fn, torch_fn):
    logits = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])
    x = cr.tensor(logits, dtype=cr.float32, requires_grad=True)
    y = fn(x, 1)
    (y * cr.tensor(np.arange(9.0).reshape(3, 3), dtype=cr.float32)).sum().backward()
    assert np.isfinite(y.array).all() and np.isfinite(x.grad.array).all()
    compare_with_torch(lambda a: fn(a, 1), [logits], torch_fn=lambda a: torch_fn(a, 1))


@pytest.mark.parametrize("fn, torch_fn", [(F.softmax, torch.softmax),
                                          (F.log_softmax, torch.log_softmax)])
@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0,), 0)])
def test_softmax_and_log_softmax_over_an_empty_dim_are_empty_as_torch(fn, torch_fn, shape, dim):
    x = cr.tensor(np.zeros(shape), requires_grad=True)
    y = fn(x, dim)
    y.sum().backward()
    assert y.shape == torch_fn(torch.zeros(shape), dim).shape == shape
    assert x.grad.shape == shape


# -- linear and dropout ---------------------------------------------------------------------------
@given(st.sampled_from([(), (3,), (2, 3)]), st.integers(1, 4), st.integers(1, 4), st.booleans(),
       seeds)
def test_linear(batch, n_in, n_out, with_bias, seed):
    inputs = [normal(seed, (*batch, n_in)), normal(seed + 1, (n_out, n_in))]
    if with_bias:
        inputs.append(normal(seed + 2, (n_out,)))
    check_op(F.linear, inputs, torch_fn=TF.linear)


def test_linear_is_x_times_w_transposed_plus_b(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    y = F.linear(cr.tensor(x), cr.tensor(w), cr.tensor(b))
    np.testing.assert_allclose(y.array, x @ w.T + b, rtol=1e-12)


@pytest.mark.parametrize("batch, n_out", [(2, 5), (5, 2)])  # both ways Linear computes x·Wᵀ
def test_linear_output_is_row_major_whichever_product_order_it_uses(rng, batch, n_out):
    x, w = rng.standard_normal((batch, 3)), rng.standard_normal((n_out, 3))
    y = F.linear(cr.tensor(x), cr.tensor(w))
    assert y.array.flags.c_contiguous
    np.testing.assert_allclose(y.array, x @ w.T, rtol=1e-12)
    check_op(F.linear, [x, w], torch_fn=TF.linear)


def _dropout_scale(seed, shape, p):
    """The mask ``F.dropout`` must draw from a generator seeded with ``seed``, computed here
    from the definition of inverted dropout: keep with probability 1 − p, scale by 1/(1 − p)."""
    keep = np.random.default_rng(seed).random(shape) >= p
    return keep / (1 - p)


@given(shapes(min_dims=1), seeds, st.sampled_from([0.2, 0.5, 0.9]))
def test_dropout_with_a_seeded_generator(shape, seed, p):
    scale = _dropout_scale(seed, shape, p)

    def fn(a):  # a fresh generator per call, so every finite-difference evaluation sees one mask
        return F.dropout(a, p, generator=np.random.default_rng(seed))

    check_op(fn, [normal(seed, shape)], torch_fn=lambda a: a * torch.from_numpy(scale))


def test_dropout_draws_its_mask_from_the_seeded_default_generator():
    x = cr.ones(1000, dtype=cr.float64)
    cr.manual_seed(3)
    first = F.dropout(x, 0.5)
    cr.manual_seed(3)
    second = F.dropout(x, 0.5)
    np.testing.assert_array_equal(first.array, second.array)
    assert set(np.unique(first.array)) == {0.0, 2.0}
    assert 400 < (first.array == 0).sum() < 600


def test_dropout_is_the_identity_when_not_training_or_p_is_zero(rng):
    x = cr.tensor(rng.standard_normal(5), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_with_p_one_zeroes_everything_and_its_gradient(rng):
    x = cr.tensor(rng.standard_normal(5), requires_grad=True)
    y = F.dropout(x, 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.array, np.zeros(5))
    np.testing.assert_array_equal(x.grad.array, np.zeros(5))


def test_dropout_rejects_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(cr.ones(3), 1.5)


@pytest.mark.parametrize("name, args", [("tanh", ()), ("sigmoid", ()), ("relu", ()),
                                        ("softmax", (1,)), ("log_softmax", (1,))])
def test_top_level_activations_are_torch_s(name, args):
    x = away_from(7, (3, 4))  # relu's kink stays out of the finite differences
    check_op(lambda a: getattr(cr, name)(a, *args), [x],
             torch_fn=lambda a: getattr(torch, name)(a, *args))


def test_log_softmax_over_an_empty_dim_and_a_float16_overflow_cast_do_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cr.tensor(np.zeros((2, 0), np.float32)).log_softmax(1).shape == (2, 0)
        big = cr.tensor(np.array([1e6, -1e6], np.float32)).half()
        assert np.isinf(big.numpy()).all()  # past float16's range: ±inf, as torch gives
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.half().float().sum().backward()  # .half() as torch's: in the graph, gradient cast back
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]
