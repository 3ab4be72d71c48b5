"""Every differentiable op: its gradient passes the finite-difference check and its value and
gradients match PyTorch (float64, relative error <= 1e-9), on shapes drawn fresh by hypothesis.
"""

import numpy as np
import pytest
import torch
from helpers import (
    away_from,
    broadcast_shapes,
    check_op,
    compare_with_torch,
    distinct,
    normal,
    positive,
    seeds,
    shapes,
)
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


# -- arithmetic with broadcasting ------------------------------------------------------------------
@given(broadcast_shapes(), seeds)
def test_add_broadcasts_and_matches_torch(s, seed):
    check_op(lambda a, b: a + b, [normal(seed, s[0]), normal(seed + 1, s[1])])


@given(broadcast_shapes(), seeds)
def test_sub_broadcasts_and_matches_torch(s, seed):
    check_op(lambda a, b: a - b, [normal(seed, s[0]), normal(seed + 1, s[1])])


@given(broadcast_shapes(), seeds)
def test_mul_broadcasts_and_matches_torch(s, seed):
    check_op(lambda a, b: a * b, [normal(seed, s[0]), normal(seed + 1, s[1])])


@given(broadcast_shapes(), seeds)
def test_div_broadcasts_and_matches_torch(s, seed):
    check_op(lambda a, b: a / b, [normal(seed, s[0]), away_from(seed + 1, s[1], gap=0.5)])


@given(broadcast_shapes(), seeds)
def test_torch_s_arithmetic_methods_and_abs(s, seed):
    check_op(lambda a, b: a.add(b).mul(b).sub(a, alpha=0.5).div(b).neg().add(b, alpha=3),
             [normal(seed, s[0]), away_from(seed + 1, s[1], gap=0.5)])
    check_op(lambda a: abs(a), [away_from(seed, s[0])])


@given(broadcast_shapes(), seeds)
def test_pow_with_tensor_base_and_exponent(s, seed):
    check_op(lambda a, b: a**b, [positive(seed, s[0]), normal(seed + 1, s[1])])


@given(shapes(), seeds, st.sampled_from([2, 3, 0.5, -1.5, 2.0]))
def test_pow_with_number_exponent(shape, seed, exponent):
    check_op(lambda a: a**exponent, [positive(seed, shape)])


def test_pow_at_a_zero_base_sends_back_zero_not_nan_as_torch():
    """torch's convention at 0: d(0ᵇ)/db = 0 for b ≥ 0, and d(aᵇ)/da = 0 where b = 0."""
    base, exponent = np.array([0.0, 1.5, 0.0, 2.0]), np.array([2.0, 2.0, 0.0, -1.0])
    compare_with_torch(lambda a, b: a**b, [base, exponent])
    compare_with_torch(lambda a: a**0, [base])
    compare_with_torch(lambda b: 0.0**b, [np.array([2.0, 0.0, 0.5])])


@given(shapes(), seeds)
def test_number_to_the_power_of_tensor(shape, seed):
    check_op(lambda a: 2.5**a, [normal(seed, shape)])


@given(shapes(), seeds)
def test_neg(shape, seed):
    check_op(lambda a: -a, [normal(seed, shape)])


@given(shapes(min_dims=1), seeds)
def test_python_numbers_as_operands_on_either_side(shape, seed):
    check_op(lambda a: (2.0 - a) * 3 + 1.5 / (a * a + 1) - a / 4, [normal(seed, shape)])


@given(broadcast_shapes(), seeds)
def test_numpy_arrays_as_constant_operands(s, seed):
    const = normal(seed + 1, s[1])
    assert cr.gradcheck(lambda a: const * a + a / (const * const + 1) - const, cr.tensor(
        normal(seed, s[0]), requires_grad=True))
    # Both orders: ndarray on the left must defer to the tensor's reflected operator.
    compare_with_torch(lambda a, c: c * a + a / (c * c + 1) - c,
                       [normal(seed, s[0]), const], grad=[True, False])
    out = const + cr.tensor(normal(seed, s[0]), requires_grad=True)
    assert isinstance(out, cr.Tensor) and out.requires_grad


# -- matrix product -------------------------------------------------------------------------------
sides = st.integers(1, 4)


@given(sides, sides, sides, seeds)
def test_matmul_2d(n, k, m, seed):
    check_op(lambda a, b: a @ b, [normal(seed, (n, k)), normal(seed + 1, (k, m))])


@given(broadcast_shapes(max_dims=2, max_side=3), sides, sides, sides, seeds)
def test_matmul_batched_with_broadcast_batch_axes(batch, n, k, m, seed):
    a = normal(seed, (*batch[0], n, k))
    b = normal(seed + 1, (*batch[1], k, m))
    check_op(lambda a, b: a @ b, [a, b])


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 4, 3), (3,)),
])
def test_matmul_with_vectors(a_shape, b_shape, rng):
    check_op(cr.matmul, [rng.standard_normal(a_shape), rng.standard_normal(b_shape)],
             torch_fn=torch.matmul)


# -- elementwise functions ------------------------------------------------------------------------
@given(shapes(), seeds)
def test_exp(shape, seed):
    check_op(lambda a: a.exp(), [normal(seed, shape)])


@given(shapes(), seeds)
def test_log(shape, seed):
    check_op(lambda a: a.log(), [positive(seed, shape)])


@given(shapes(), seeds)
def test_sqrt(shape, seed):
    check_op(lambda a: a.sqrt(), [positive(seed, shape)])


@pytest.mark.parametrize("name, x", [
    ("exp", [710.0, 1e4, -np.inf, 0.0]),  # e^710 overflows float64: inf, as torch
    ("expm1", [710.0, 1e4, -np.inf, 0.0]),
    ("log", [0.0, 1.0]),  # ln 0 = -inf, its gradient 1/0 = inf
    ("log1p", [-1.0, 0.0]),  # ln(1 + (-1)) = -inf, its gradient inf
    ("sqrt", [0.0, 4.0]),  # the gradient 1/(2√0) = inf
])
def test_elementwise_limits_are_torch_s_and_raise_no_numpy_warning(name, x):
    x = np.array(x)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="raise"):  # the op must not warn about infinities it means to return
        out = getattr(ours, name)()
        out.backward(np.ones(x.shape))
    expected = getattr(theirs, name)()
    expected.backward(torch.ones(x.shape, dtype=torch.float64))
    np.testing.assert_array_equal(out.array, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad.array, theirs.grad.numpy())


@given(shapes(), seeds)
def test_abs_away_from_zero(shape, seed):
    check_op(lambda a: a.abs(), [away_from(seed, shape)])


def test_abs_gradient_at_zero_is_zero_as_in_torch():
    compare_with_torch(lambda a: a.abs(), [np.array([-1.0, 0.0, 2.0])])


@pytest.mark.parametrize("name", ["sin", "cos", "expm1", "square"])
@given(shape=shapes(), seed=seeds)
def test_smooth_elementwise_functions(name, shape, seed):
    check_op(lambda a: getattr(a, name)(), [normal(seed, shape)])


@given(shapes(), seeds)
def test_log1p(shape, seed):
    x = positive(seed, shape) - 0.5  # log1p is defined above −1
    check_op(lambda a: a.log1p(), [x])


@given(shapes(), seeds, st.sampled_from([3, 0.5, -2]))
def test_pow_method_is_the_operator(shape, seed, exponent):
    check_op(lambda a: a.pow(exponent), [positive(seed, shape)])


def test_sign_passes_no_gradient_as_in_torch():
    compare_with_torch(lambda a: a.sign() * a, [np.array([-1.5, 0.0, 2.0])])


@pytest.mark.parametrize("dim, unbiased, keepdim", [
    (None, True, False), (1, True, False), (0, False, True), ((0, 2), True, False)])
@given(seed=seeds)
def test_var_and_std_match_torch(dim, unbiased, keepdim, seed):
    x = normal(seed, (3, 4, 2))
    check_op(lambda a: a.var(dim, unbiased, keepdim), [x])
    check_op(lambda a: a.std(dim, unbiased, keepdim), [x])


def test_std_of_constant_values_sends_back_zero_not_nan_as_torch():
    compare_with_torch(lambda a: a.std(dim=1), [np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])])


@pytest.mark.parametrize("op", ["var", "std"])
def test_float16_var_and_std_do_not_overflow_where_torch_is_finite(op):
    # deviations of a few hundred already square past float16's 65504; torch sums in float32
    x = np.array([[1e4, -1e4, 100.0, 0.0], [300.0, -300.0, 1.0, 2.0]], dtype=np.float16)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = getattr(ours, op)(dim=1), getattr(theirs, op)(dim=1)
    y.backward(np.ones(2, dtype=np.float16))
    expected.sum().backward()
    assert y.dtype == np.float16 and ours.grad.dtype == np.float16
    np.testing.assert_allclose(y.array, expected.detach().numpy(), rtol=1e-3)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-2, atol=1e-3)


def test_var_with_no_degrees_of_freedom_says_so():
    with pytest.raises(ValueError, match="var: 1 value.* correction 1"):
        cr.ones(1, 3).var(0)


def test_float16_norm_neither_overflows_nor_underflows_where_torch_is_finite():
    # 300² passes float16's 65504 and (1e-4)² flushes to 0; torch sums the squares in float32
    x = np.array([[300.0, 400.0], [1e-4, 1e-4]], dtype=np.float16)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours.norm(dim=1), theirs.norm(dim=1)
    y.backward(np.ones(2, dtype=np.float16))
    expected.sum().backward()
    assert y.dtype == np.float16 and ours.grad.dtype == np.float16
    np.testing.assert_allclose(y.array, expected.detach().numpy(), rtol=1e-3)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-2)


@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (0, True), ((0, 1), False)])
@given(seed=seeds)
def test_norm_matches_torch(dim, keepdim, seed):
    check_op(lambda a: a.norm(dim=dim, keepdim=keepdim), [normal(seed, (3, 4))])


def test_norm_of_zeros_sends_back_zero_not_nan_as_torch():
    compare_with_torch(lambda a: a.norm(dim=1), [np.array([[0.0, 0.0], [3.0, 4.0]])])


def test_norm_other_than_2_is_refused():
    with pytest.raises(ValueError, match="only p=2"):
        cr.ones(3).norm(p=1)


def test_t_mm_and_dot_as_in_torch(rng):
    m, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    check_op(lambda a, b: a.t().mm(b), [m, rng.standard_normal((3, 2))],
             torch_fn=lambda a, b: a.t().mm(b))
    check_op(lambda a, b: a.dot(b), [v, rng.standard_normal(4)], torch_fn=torch.dot)
    with pytest.raises(cr.ShapeError, match=r"dot expects 1-d tensors, got shapes \(3, 4\)"):
        cr.tensor(m).dot(cr.tensor(m))
    with pytest.raises(ValueError, match="t.. expects a tensor with at most 2 dimensions"):
        cr.ones(2, 2, 2).t()


@given(shapes(), seeds, st.sampled_from([(-0.5, 0.5), (None, 0.3), (-0.2, None)]))
def test_clip_away_from_the_bounds(shape, seed, bounds):
    lo, hi = bounds
    x = away_from(seed, shape, kink=lo if lo is not None else hi)
    if lo is not None and hi is not None:  # keep clear of the upper bound as well
        x = np.where(np.abs(x - hi) < 0.1, x + 0.25, x)
    check_op(lambda a: a.clip(lo, hi), [x], torch_fn=lambda a: a.clamp(lo, hi))


def test_clip_with_tensor_bounds_sends_their_gradients_as_torch():
    # below, inside, above, and a lower bound above the upper one (the upper one wins)
    x = np.array([[-2.0, 0.5, 2.0, 1.0], [0.3, -0.4, 0.6, 3.0]])
    lo = np.array([-1.0, 0.0, 0.0, 2.0])
    hi = np.array([[1.0, 1.0, 1.0, 1.5], [0.5, 0.5, 0.5, 0.5]])
    check_op(lambda a, b, c: a.clip(b, c), [x, lo, hi], torch_fn=lambda a, b, c: a.clamp(b, c))
    check_op(lambda a, b: a.clip(b), [x, lo], torch_fn=lambda a, b: a.clamp(b))
    check_op(lambda a, c: a.clip(max=c), [x, hi], torch_fn=lambda a, c: a.clamp(max=c))


def _never_tied(seed, s):
    """a and b on interleaved grids (a near k + 1/4, b near k - 1/4): every broadcast pair is at
    least 0.4 apart, so no finite-difference step crosses a tie."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-3, 3, s[0]) + 0.25 + rng.uniform(-0.05, 0.05, s[0])
    b = rng.integers(-3, 3, s[1]) - 0.25 + rng.uniform(-0.05, 0.05, s[1])
    return [a, b]


@given(broadcast_shapes(), seeds)
def test_maximum_without_ties(s, seed):
    check_op(cr.maximum, _never_tied(seed, s), torch_fn=torch.maximum)


@given(broadcast_shapes(), seeds)
def test_minimum_without_ties(s, seed):
    check_op(cr.minimum, _never_tied(seed, s), torch_fn=torch.minimum)


def test_maximum_and_minimum_split_a_tie_as_torch_does():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])
    compare_with_torch(cr.maximum, [a, b], torch_fn=torch.maximum)
    compare_with_torch(cr.minimum, [a, b], torch_fn=torch.minimum)


@given(broadcast_shapes(num_shapes=3), seeds)
def test_where_sends_the_gradient_to_the_chosen_side(s, seed):
    cond = np.random.default_rng(seed).random(s[0]) > 0.5
    check_op(lambda a, b: cr.where(cond, a, b), [normal(seed, s[1]), normal(seed + 1, s[2])],
             torch_fn=lambda a, b: torch.where(torch.from_numpy(np.asarray(cond)), a, b))


# -- reductions -----------------------------------------------------------------------------------
@st.composite
def shape_and_axis(draw, min_dims=1):
    """A shape and an axis argument for it: None, one axis (maybe negative) or a tuple of axes."""
    shape = draw(shapes(min_dims=min_dims))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "one", "tuple"]))
    if kind == "none":
        return shape, None
    if kind == "one":
        return shape, draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return shape, tuple(axes)


def _torch_dim(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


@given(shape_and_axis(), st.booleans(), seeds)
def test_sum_over_axes(shape_axis, keepdims, seed):
    shape, axis = shape_axis
    check_op(lambda a: a.sum(axis=axis, keepdims=keepdims), [normal(seed, shape)],
             torch_fn=lambda a: a.sum(dim=_torch_dim(axis, a.ndim), keepdim=keepdims))


@given(shape_and_axis(), st.booleans(), seeds)
def test_mean_over_axes(shape_axis, keepdims, seed):
    shape, axis = shape_axis
    check_op(lambda a: a.mean(axis=axis, keepdims=keepdims), [normal(seed, shape)],
             torch_fn=lambda a: a.mean(dim=_torch_dim(axis, a.ndim), keepdim=keepdims))


@given(shape_and_axis(), st.booleans(), seeds)
def test_max_over_axes(shape_axis, keepdims, seed):
    shape, axis = shape_axis
    check_op(lambda a: a.max(axis=axis, keepdims=keepdims), [distinct(seed, shape)],
             torch_fn=lambda a: a.amax(dim=_torch_dim(axis, a.ndim), keepdim=keepdims))


@given(shape_and_axis(), st.booleans(), seeds)
def test_min_over_axes(shape_axis, keepdims, seed):
    shape, axis = shape_axis
    check_op(lambda a: a.min(axis=axis, keepdims=keepdims), [distinct(seed, shape)],
             torch_fn=lambda a: a.amin(dim=_torch_dim(axis, a.ndim), keepdim=keepdims))


def test_max_shares_the_gradient_evenly_between_ties_as_torch_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    compare_with_torch(lambda a: a.max(axis=1), [x], torch_fn=lambda a: a.amax(dim=1))
    compare_with_torch(lambda a: a.max(), [x], torch_fn=lambda a: a.max())


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_send_the_gradient_to_a_nan_as_torch(name):
    # one NaN a row: along a dim, ties share the gradient here where torch picks the index
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 0.0]])
    for reduce in (lambda a: getattr(a, name)(), lambda a: getattr(a, name)(dim=1).values):
        ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        reduce(ours).sum().backward()
        reduce(theirs).sum().backward()
        np.testing.assert_array_equal(ours.grad.array, theirs.grad.numpy())


def test_torch_style_dim_gives_values_and_indices(rng):
    x = distinct(0, (3, 4))
    values, indices = cr.tensor(x).max(dim=1)
    expected = torch.tensor(x).max(dim=1)
    np.testing.assert_array_equal(values.array, expected.values.numpy())
    np.testing.assert_array_equal(indices.array, expected.indices.numpy())
    compare_with_torch(lambda a: a.min(dim=0, keepdim=True).values, [x])


@pytest.mark.parametrize("name", ["max", "min"])
def test_a_positional_dim_is_torch_s_dim_values_and_indices(name):
    x = distinct(1, (3, 4))
    for call in (lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(0, True),
                 lambda t: getattr(cr if isinstance(t, cr.Tensor) else torch, name)(t, -1)):
        ours, theirs = call(cr.tensor(x)), call(torch.tensor(x))
        np.testing.assert_array_equal(ours[0].array, theirs[0].numpy())
        np.testing.assert_array_equal(ours.indices.array, theirs.indices.numpy())
    _, predicted = cr.tensor(x).max(1)  # the classification idiom
    np.testing.assert_array_equal(predicted.array, x.argmax(axis=1))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_over_a_non_empty_dim_of_an_empty_batch_as_in_torch(name):
    x = np.zeros((0, 3))
    compare_with_torch(lambda a: getattr(a, name)(dim=1).values, [x])
    ours, theirs = getattr(cr.tensor(x), name)(1), getattr(torch.tensor(x), name)(1)
    assert ours.indices.shape == theirs.indices.shape
    with pytest.raises(ValueError, match=f"{name} of an empty"):
        getattr(cr.tensor(x), name)(dim=0)  # over the empty dim there is no value (torch: error)


def test_max_and_min_of_two_tensors_are_elementwise_as_in_torch():
    a, b = distinct(2, (3, 4)), distinct(3, (3, 4))
    compare_with_torch(lambda p, q: cr.max(p, q) - cr.min(p, q), [a, b],
                       torch_fn=lambda p, q: torch.max(p, q) - torch.min(p, q))


def test_sum_and_mean_accept_torch_dim_and_keepdim(rng):
    x = rng.standard_normal((2, 3, 4))
    compare_with_torch(lambda a: a.sum(dim=(0, 2), keepdim=True), [x])
    compare_with_torch(lambda a: a.mean(dim=-1), [x])


# -- moving numbers around ------------------------------------------------------------------------
@given(shapes(max_dims=4), seeds, st.data())
def test_reshape(shape, seed, data):
    n = int(np.prod(shape))
    first = data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    new = (first, -1) if data.draw(st.booleans()) else (first, n // first)
    check_op(lambda a: a.reshape(*new), [normal(seed, shape)])


@given(shapes(min_dims=2), seeds, st.data())
def test_transpose_swaps_two_axes(shape, seed, data):
    ndim = len(shape)
    d0, d1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    check_op(lambda a: a.transpose(d0, d1), [normal(seed, shape)])


@given(shapes(min_dims=2, max_dims=2), seeds)
def test_T_of_a_matrix(shape, seed):
    check_op(lambda a: a.T, [normal(seed, shape)])


@given(shapes(min_dims=1, max_dims=4), seeds, st.data())
def test_permute(shape, seed, data):
    order = tuple(data.draw(st.permutations(range(len(shape)))))
    check_op(lambda a: a.permute(*order), [normal(seed, shape)])


@pytest.mark.parametrize("shape, dims", [((0, 3, 2), (1,)), ((2, 0, 2), (0, 1)), ((0, 3), ())])
def test_flatten_of_an_empty_tensor_as_in_torch(shape, dims):
    x = np.zeros(shape)
    compare_with_torch(lambda a: a.flatten(*dims), [x])
    assert cr.nn.Flatten()(cr.tensor(x)).shape == torch.nn.Flatten()(torch.tensor(x)).shape


@pytest.mark.parametrize("dim", [(0, 2), [0, -1], (1,), (), 2, -3])
def test_squeeze_one_dim_or_a_tuple_of_dims_as_in_torch(dim, rng):
    x = rng.standard_normal((1, 3, 1))
    check_op(lambda a: a.squeeze(dim), [x])


def test_expand_with_minus_one_keeps_that_size_as_in_torch(rng):
    x = rng.standard_normal((2, 1, 3))
    check_op(lambda a: a.expand(-1, 4, -1), [x])
    check_op(lambda a: a.expand(5, -1, 4, 3), [x])


@st.composite
def basic_index(draw, shape):
    """A NumPy basic index for ``shape``: ints and slices with steps (torch has no negative
    steps; reversed slices are checked on their own below)."""
    index = []
    for n in shape[: draw(st.integers(1, len(shape)))]:
        if draw(st.booleans()):
            index.append(draw(st.integers(-n, n - 1)))
        else:
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n, n))
            step = draw(st.sampled_from([None, 1, 2, 3]))
            index.append(slice(start, stop, step))
    return tuple(index)


@given(shapes(min_dims=1), seeds, st.data())
def test_indexing_with_ints_and_slices(shape, seed, data):
    index = data.draw(basic_index(shape))
    check_op(lambda a: a[index], [normal(seed, shape)])


@given(shapes(min_dims=1), seeds)
def test_indexing_with_a_reversed_slice(shape, seed):
    check_op(lambda a: a[::-2], [normal(seed, shape)],
             torch_fn=lambda a: a.flip(0)[::2])


@given(shapes(min_dims=1), seeds, st.data())
def test_indexing_with_integer_arrays_accumulates_repeats(shape, seed, data):
    n = shape[0]
    picks = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=8))
    idx = np.array(picks)
    check_op(lambda a: a[idx], [normal(seed, shape)],
             torch_fn=lambda a: a[torch.from_numpy(idx)])


def test_repeated_integer_index_gradient_is_the_count():
    x = cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64, requires_grad=True)
    x[np.array([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 0.0, 1.0])


def test_indexing_with_an_empty_list_picks_nothing_as_in_torch(rng):
    x = rng.standard_normal((3, 2))
    compare_with_torch(lambda a: a[[]], [x])
    compare_with_torch(lambda a: a[:, []], [x])


_INT_AND_ARRAY_INDICES = [  # torch applies the integers first; NumPy moves the array's dim
    (0, slice(None), [1, 2, 2]), (0, slice(None), np.array([True, False, True, False])),
    (None, 1, slice(None), [0, 2]), (1, [0, 2], None, [1, 3]), ([0, 1], 0, [1, 2]),
    (Ellipsis, 1, [0, 2]), (-1, slice(1, 3), [3, 0]),
]


@pytest.mark.parametrize("index", _INT_AND_ARRAY_INDICES)
def test_integers_mixed_with_index_arrays_follow_torch(index, rng):
    def torch_index(a):
        return a[tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)]

    compare_with_torch(lambda a: a[index], [rng.standard_normal((2, 3, 4))], torch_fn=torch_index)


@pytest.mark.parametrize("index", _INT_AND_ARRAY_INDICES[:2])
def test_assigning_through_integers_mixed_with_index_arrays_follows_torch(index, rng):
    x = rng.standard_normal((2, 3, 4))
    ours, theirs = cr.tensor(x), torch.tensor(x)
    value = rng.standard_normal(tuple(theirs[index].shape))
    ours[index] = value
    theirs[index] = torch.from_numpy(value)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


@given(shapes(min_dims=2, max_dims=3), seeds)
def test_indexing_with_two_integer_arrays(shape, seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, shape[0], 6)
    cols = rng.integers(0, shape[1], 6)
    check_op(lambda a: a[rows, cols], [normal(seed, shape)],
             torch_fn=lambda a: a[torch.from_numpy(rows), torch.from_numpy(cols)])


@given(shapes(min_dims=1), seeds)
def test_indexing_with_a_boolean_mask(shape, seed):
    mask = np.random.default_rng(seed).random(shape) > 0.4
    check_op(lambda a: a[mask], [normal(seed, shape)],
             torch_fn=lambda a: a[torch.from_numpy(mask)])


@given(shapes(min_dims=2), seeds)
def test_indexing_with_a_boolean_row_mask_and_a_slice(shape, seed):
    mask = np.random.default_rng(seed).random(shape[0]) > 0.4
    check_op(lambda a: a[mask, 1:], [normal(seed, shape)],
             torch_fn=lambda a: a[torch.from_numpy(mask), 1:])


@given(shapes(min_dims=1), st.lists(st.integers(1, 3), min_size=1, max_size=3), seeds, st.data())
def test_concatenate(shape, sizes, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for i, n in enumerate(sizes):
        s = list(shape)
        s[axis] = n
        arrays.append(normal(seed + i, s))
    check_op(lambda *xs: cr.concatenate(xs, axis=axis), arrays,
             torch_fn=lambda *xs: torch.cat(xs, dim=axis))


@given(shapes(), st.integers(1, 3), seeds, st.data())
def test_stack(shape, count, seed, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [normal(seed + i, shape) for i in range(count)]
    check_op(lambda *xs: cr.stack(xs, axis=axis), arrays,
             torch_fn=lambda *xs: torch.stack(xs, dim=axis))


def test_concatenate_passes_gradient_only_to_inputs_that_require_it(rng):
    a = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = cr.tensor(rng.standard_normal((1, 3)))
    (cr.concatenate([a, b]) * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.array, np.full((2, 3), 2.0))
    assert b.grad is None


def test_a_composite_expression_matches_torch(rng):
    def f(x, w, b):
        h = (x @ w + b).clip(-1.0, 1.0)
        return (h.exp() / h.exp().sum(axis=1, keepdims=True)).log().mean()

    compare_with_torch(f, [rng.standard_normal((4, 3)) * 0.3, rng.standard_normal((3, 5)) * 0.3,
                           rng.standard_normal(5) * 0.1],
                       torch_fn=lambda x, w, b: (x @ w + b).clamp(-1.0, 1.0).log_softmax(1).mean())


@pytest.mark.parametrize("name, args", [
    ("sin", ()), ("cos", ()), ("expm1", ()), ("square", ()), ("pow", (3,)), ("var", (1,)),
    ("std", (0,)), ("norm", ()), ("flatten", ()), ("unsqueeze", (1,)), ("squeeze", (0,)),
])
def test_top_level_functions_are_torch_s(name, args, rng):
    x = rng.standard_normal((1, 3, 2)) if name == "squeeze" else rng.standard_normal((3, 2))
    check_op(lambda a: getattr(cr, name)(a, *args), [x],
             torch_fn=lambda a: getattr(torch, name)(a, *args))


def test_constructors_and_comparisons_as_in_torch():
    np.testing.assert_array_equal(cr.eye(2, 3).array, torch.eye(2, 3).numpy())
    np.testing.assert_allclose(cr.linspace(-1, 1, 5).array, torch.linspace(-1, 1, 5).numpy())
    assert cr.empty(2, 3).shape == (2, 3) and cr.empty(2, 3).dtype == np.float32
    assert cr.allclose(cr.ones(2), cr.ones(2) + 1e-9) and not cr.equal(cr.ones(2), cr.zeros(2))
    assert cr.argmax(cr.tensor([[1.0, 3.0], [2.0, 0.0]]), 1).tolist() == [1, 0]
    cr.manual_seed(3)
    first = (cr.randint(10, size=(50,)).tolist(), cr.randperm(6).tolist())
    cr.manual_seed(3)
    assert (cr.randint(10, size=(50,)).tolist(), cr.randperm(6).tolist()) == first  # seeded
    assert min(first[0]) >= 0 and max(first[0]) < 10 and sorted(first[1]) == list(range(6))
    assert set(cr.randint(3, 5, size=20).tolist()) <= {3, 4}
    with pytest.raises(ValueError, match="randint: high .2. must be greater than low .2."):
        cr.randint(2, 2)
