"""torch's reductions beyond sum/mean/max/min: amax, amin, logsumexp and prod. Each is checked by
finite differences (away from ties) and against torch (values, gradients, dtypes), over dims that
are None, negative or tuples, with and without keepdim, and at its edge cases.
"""

import numpy as np
import pytest
import torch
from device_double import active
from helpers import assert_close, check_op, compare_with_torch, distinct, normal, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


@st.composite
def shape_and_dims(draw, tuples=True):
    """A shape (at least 1-d) and a dim argument for it: (), one dim (maybe negative), or a
    tuple of dims (maybe negative) when ``tuples``."""
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    kinds = ["all", "one", "tuple"] if tuples else ["one"]
    kind = draw(st.sampled_from(kinds))
    if kind == "all":
        return shape, ()
    if kind == "one":
        return shape, draw(st.integers(-ndim, ndim - 1))
    dims = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return shape, tuple(d - ndim if draw(st.booleans()) else d for d in dims)


# -- amax and amin --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["amax", "amin"])
@given(shape_and_dims(), st.booleans(), seeds)
def test_amax_and_amin_over_dims_match_torch(name, shape_dims, keepdim, seed):
    shape, dim = shape_dims
    check_op(lambda a: getattr(a, name)(dim, keepdim), [distinct(seed, shape)])
    compare_with_torch(lambda a: getattr(cr, name)(a, dim=dim, keepdim=keepdim),
                       [distinct(seed, shape)],
                       torch_fn=lambda a: getattr(torch, name)(a, dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_and_amin_share_the_gradient_evenly_between_ties_as_torch(name):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [1.0, 1.0, 3.0]])
    for dim in ((), 0, 1, -1, (0, 1)):
        compare_with_torch(lambda a: getattr(a, name)(dim), [x])
    compare_with_torch(lambda a: getattr(a, name)(), [x])


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_and_amin_keep_integer_dtypes_and_take_a_0d_tensor(name):
    ints = np.array([[3, 1], [2, 5]], dtype=np.int32)
    ours, theirs = getattr(cr.tensor(ints), name)(0), getattr(torch.tensor(ints), name)(0)
    assert ours.dtype == np.int32 and ours.tolist() == theirs.tolist()
    compare_with_torch(lambda a: getattr(a, name)(0, True), [np.array(2.5)])


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_and_amin_errors_name_the_method(name):
    with pytest.raises(IndexError, match=f"{name}: dim 2 is out of range"):
        getattr(cr.ones(2, 3), name)(2)
    with pytest.raises(ValueError, match=f"{name} of an empty tensor"):
        getattr(cr.ones(0, 3), name)(0)


# -- logsumexp ------------------------------------------------------------------------------------
@given(shape_and_dims(), st.booleans(), seeds)
def test_logsumexp_over_dims_matches_torch(shape_dims, keepdim, seed):
    shape, dim = shape_dims
    torch_dim = dim if dim != () else tuple(range(len(shape)))  # torch 2.13 fails on dim=()
    check_op(lambda a: a.logsumexp(dim, keepdim), [normal(seed, shape, scale=3.0)],
             torch_fn=lambda a: a.logsumexp(torch_dim, keepdim))


def test_logsumexp_of_large_values_does_not_overflow():
    x = np.array([[1000.0, 1000.0, 990.0], [-1000.0, -1001.0, -1002.0]])
    out = compare_with_torch(lambda a: cr.logsumexp(a, 1), [x],
                             torch_fn=lambda a: torch.logsumexp(a, 1))
    assert np.isfinite(active.host(out)).all()
    check_op(lambda a: a.logsumexp(-1), [x])


def test_logsumexp_with_minus_infinity_ignores_those_elements_as_torch():
    x = np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, 2.0]])
    compare_with_torch(lambda a: a.logsumexp(1), [x])


def test_logsumexp_at_infinities_and_nan_gives_torch_s_values_and_gradients():
    """All -inf gives -inf (its gradient NaN, 0·∞ in the limit); +inf gives +inf; NaN spreads."""
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [np.inf, -np.inf]])
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="raise"):  # the op must not warn about its own infinities
        out = ours.logsumexp(1)
        out.backward(np.ones(4))
    expected = theirs.logsumexp(1)
    expected.backward(torch.ones(4, dtype=torch.float64))
    np.testing.assert_array_equal(out.array, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad.array, theirs.grad.numpy())  # NaN where torch has it


def test_logsumexp_of_integers_and_over_an_empty_dim_as_torch():
    ints = np.array([[1, 2, 3]], dtype=np.int64)
    ours, theirs = cr.tensor(ints).logsumexp(1), torch.tensor(ints).logsumexp(1)
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    assert_close(ours.array, theirs.numpy(), "integer logsumexp", rtol=1e-6)
    empty = np.zeros((0, 3))
    np.testing.assert_array_equal(cr.tensor(empty).logsumexp(0).array,
                                  torch.tensor(empty).logsumexp(0).numpy())  # -inf, as log 0


def test_logsumexp_needs_a_dim_and_checks_it_by_name():
    with pytest.raises(TypeError):
        cr.ones(3).logsumexp()
    with pytest.raises(IndexError, match="logsumexp: dim -3 is out of range"):
        cr.ones(2, 3).logsumexp(-3)


# -- prod -----------------------------------------------------------------------------------------
@given(shapes(min_dims=1), st.data(), st.booleans(), seeds)
def test_prod_over_one_dim_or_all_matches_torch(shape, data, keepdim, seed):
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    x = normal(seed, shape)
    if dim is None:
        check_op(lambda a: a.prod(), [x])
    else:
        check_op(lambda a: a.prod(dim, keepdim), [x])
        check_op(lambda a: cr.prod(a, dim=dim, keepdim=keepdim), [x],
                 torch_fn=lambda a: torch.prod(a, dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod_gradient_is_right_with_zeros_in_the_input(dim):
    """One zero: only it gets a gradient (the product of the others); two: nothing does."""
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.0, -2.0, 3.0], [4.0, 0.0, 0.5]])
    fn = (lambda a: a.prod()) if dim is None else (lambda a: a.prod(dim))
    check_op(fn, [x])  # prod is a polynomial: finite differences are exact enough at 0 too
    one_zero = np.array([[0.0, 2.0, 3.0], [4.0, 5.0, 1.0]])
    check_op(lambda a: a.prod(), [one_zero])
    grad = cr.tensor(one_zero, requires_grad=True)
    grad.prod().backward()
    assert grad.grad.array[0, 0] == 120.0 and (grad.grad.array.ravel()[1:] == 0).all()


def test_prod_dtypes_follow_torch():
    for dtype in (np.int32, np.int64, np.uint8, np.bool_):
        x = np.array([[1, 2], [3, 0]], dtype=dtype) if dtype != np.bool_ else np.ones((2, 2), bool)
        ours, theirs = cr.tensor(x).prod(1), torch.tensor(x).prod(1)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), dtype
    x = np.array([1, 2, 3], dtype=np.int32)
    assert cr.tensor(x).prod(dtype=cr.float64).dtype == np.float64
    compare_with_torch(lambda a: a.prod(0, dtype=cr.float32).double(), [np.array([1.5, 2.0])],
                       torch_fn=lambda a: a.prod(0, dtype=torch.float32).double())
    assert cr.ones(3, dtype=cr.float32).prod().dtype == np.float32


def test_prod_of_empty_and_0d_tensors_as_torch():
    np.testing.assert_array_equal(cr.zeros(0, 3).prod(0).array, torch.zeros(0, 3).prod(0).numpy())
    compare_with_torch(lambda a: a.prod(0), [np.array(2.5)])
    compare_with_torch(lambda a: a.prod(-1, keepdim=True), [np.array(2.5)])


def test_prod_takes_one_dim_as_torch_and_says_so():
    with pytest.raises(TypeError, match="prod: dim must be an integer"):
        cr.ones(2, 3).prod((0, 1))
    with pytest.raises(IndexError, match="prod: dim 2 is out of range"):
        cr.ones(2, 3).prod(2)
    with pytest.raises(IndexError, match="prod: dim 1 is out of range"):
        cr.tensor(2.0).prod(1)


def test_mean_of_an_empty_tensor_is_nan_as_torch_without_numpy_warnings():
    x = cr.tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(all="raise"):
        out = x.mean()
        out.backward()
    assert np.isnan(out.item()) and np.isnan(torch.zeros(0, 3).mean().item())
    assert x.grad.shape == (0, 3)


def test_float16_mean_of_more_elements_than_float16_can_count_has_torch_s_gradient():
    # n = 70000 is past float16's 65504: dividing g by n as a float16 gave g/inf = 0
    x = np.ones(70000, dtype=np.float16)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.mean().backward()
    theirs.mean().backward()
    assert ours.grad.dtype == np.float16
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
