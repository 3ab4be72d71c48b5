"""torch functions a tutorial program reaches for, each run under chainrule and under torch:
meshgrid (a decision boundary's grid), column_stack, lerp, logaddexp, isclose (values and, where
differentiable, gradients against torch and finite differences), and the samplers normal,
bernoulli and multinomial (shapes, dtypes, statistics, the seed, and errors by name)."""

import numpy as np
import pytest
import torch
from helpers import check_op

import chainrule as cr


def rng(seed=0):
    return np.random.default_rng(seed)


# -- grids and stacking --------------------------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("lengths", [(3,), (3, 4), (2, 3, 4)])
def test_meshgrid_matches_torch_values_and_gradients(indexing, lengths):
    inputs = [rng(i).standard_normal(n) for i, n in enumerate(lengths)]
    shape = list(lengths)
    if indexing == "xy" and len(shape) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    # a different fixed weight per grid, so every output's gradient is checked on its own
    weights = [rng(10 + i).standard_normal(shape) for i in range(len(lengths))]

    def grids(lib):
        def fn(*ts):
            outs = lib.meshgrid(*ts, indexing=indexing)
            terms = [(out * (torch.tensor(w) if lib is torch else cr.tensor(w))).sum()
                     for out, w in zip(outs, weights)]
            return sum(terms[1:], terms[0])
        return fn

    check_op(grids(cr), inputs, torch_fn=grids(torch))
    ours = cr.meshgrid(*[cr.tensor(a) for a in inputs], indexing=indexing)
    theirs = torch.meshgrid(*[torch.tensor(a) for a in inputs], indexing=indexing)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_meshgrid_takes_a_list_and_refuses_bad_arguments():
    x, y = cr.arange(3.0), cr.arange(2.0)
    gx, gy = cr.meshgrid([x, y], indexing="xy")
    assert tuple(gx.shape) == (2, 3) and tuple(gy.shape) == (2, 3)
    with pytest.raises(ValueError, match="indexing.*'yx'"):
        cr.meshgrid(x, y, indexing="yx")
    with pytest.raises(cr.ShapeError, match="meshgrid.*tensor 1.*\\(2, 2\\)"):
        cr.meshgrid(x, cr.zeros(2, 2))


def test_column_stack_matches_torch():
    parts = [rng(1).standard_normal(3), rng(2).standard_normal((3, 2)), rng(3).standard_normal(3)]

    def fn(lib):
        return lambda a, b, c: lib.column_stack([a, b, c]) * 2.0

    check_op(fn(cr), parts, torch_fn=fn(torch))


# -- elementwise ---------------------------------------------------------------------------------
@pytest.mark.parametrize("weight", ["number", "tensor"])
def test_lerp_matches_torch(weight):
    a, b = rng(1).standard_normal((2, 3)), rng(2).standard_normal((2, 3))
    if weight == "number":
        check_op(lambda x, y: cr.lerp(x, y, 0.3), [a, b],
                 torch_fn=lambda x, y: torch.lerp(x, y, 0.3))
    else:
        w = rng(3).random((2, 3))
        check_op(cr.lerp, [a, b, w], torch_fn=torch.lerp)


def test_logaddexp_matches_torch_with_broadcasting():
    a = rng(1).standard_normal((2, 3)) * 5
    b = rng(2).standard_normal(3) * 5
    check_op(cr.logaddexp, [a, b], torch_fn=torch.logaddexp)


def test_logaddexp_does_not_overflow_and_keeps_infinities():
    values = np.array([0.0, 1000.0, -1000.0, -np.inf, np.inf, -np.inf, 3.0])
    others = np.array([0.0, 1000.0, -1000.0, -np.inf, np.inf, 5.0, np.nan])
    ours = cr.logaddexp(cr.tensor(values), cr.tensor(others)).numpy()
    theirs = torch.logaddexp(torch.tensor(values), torch.tensor(others)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)  # inf, -inf and NaN where torch's are


def test_isclose_matches_torch():
    a = np.array([1.0, 2.0, np.nan, 1e-9, 100.0])
    b = np.array([1.0 + 1e-7, 2.1, np.nan, 0.0, 100.0001])
    for equal_nan in (False, True):
        ours = cr.isclose(cr.tensor(a), cr.tensor(b), equal_nan=equal_nan)
        theirs = torch.isclose(torch.tensor(a), torch.tensor(b), equal_nan=equal_nan)
        assert ours.dtype == np.bool_
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert cr.isclose(cr.tensor([1.0]), cr.tensor([1.05]), rtol=0.1).numpy().all()


# -- samplers ------------------------------------------------------------------------------------
def test_normal_shapes_dtypes_and_statistics_as_torch():
    cr.manual_seed(0)
    assert tuple(cr.normal(0.0, 1.0, size=(2, 3)).shape) == tuple(
        torch.normal(0.0, 1.0, size=(2, 3)).shape)
    assert cr.normal(0.0, 1.0, size=(4,)).dtype == np.float32  # the default float, as torch's
    means = cr.tensor(np.array([-5.0, 0.0, 5.0]))
    out = cr.normal(means, 0.5)
    assert tuple(out.shape) == (3,) and out.dtype == np.float64  # the tensor's dtype, as torch's
    assert not out.requires_grad
    big = cr.normal(2.0, 3.0, size=(200_000,)).numpy()
    assert abs(big.mean() - 2.0) < 0.05 and abs(big.std() - 3.0) < 0.05
    per_mean = cr.normal(cr.tensor(np.repeat([-5.0, 5.0], 50_000)), 0.1).numpy()
    assert abs(per_mean[:50_000].mean() + 5) < 0.01 and abs(per_mean[50_000:].mean() - 5) < 0.01


def test_normal_is_repeatable_with_the_seed_and_refuses_bad_arguments():
    cr.manual_seed(3)
    first = cr.normal(0.0, 1.0, size=(5,)).numpy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(cr.normal(0.0, 1.0, size=(5,)).numpy(), first)
    g = cr.Generator().manual_seed(7)
    again = cr.Generator().manual_seed(7)
    np.testing.assert_array_equal(cr.normal(0.0, 1.0, size=(4,), generator=g).numpy(),
                                  cr.normal(0.0, 1.0, size=(4,), generator=again).numpy())
    with pytest.raises(ValueError, match="normal: std.*-1"):
        cr.normal(0.0, -1.0, size=(2,))
    with pytest.raises(TypeError, match="normal.*size"):
        cr.normal(0.0, 1.0)


def test_bernoulli_draws_with_each_probability():
    cr.manual_seed(0)
    p = cr.tensor(np.array([0.0, 1.0, 0.25], np.float32))
    draws = np.stack([cr.bernoulli(p).numpy() for _ in range(20_000)])
    assert draws.dtype == np.float32 and set(np.unique(draws)) <= {0.0, 1.0}
    assert draws[:, 0].max() == 0 and draws[:, 1].min() == 1
    assert abs(draws[:, 2].mean() - 0.25) < 0.02
    assert torch.bernoulli(torch.tensor([0.0, 1.0])).tolist() == [0.0, 1.0]  # torch agrees
    with pytest.raises(ValueError, match="bernoulli.*\\[0, 1\\]"):
        cr.bernoulli(cr.tensor([0.5, 1.5]))
    with pytest.raises(TypeError, match="bernoulli.*int64"):
        cr.bernoulli(cr.tensor([0, 1]))


def test_multinomial_frequencies_shapes_and_replacement():
    cr.manual_seed(0)
    weights = cr.tensor([1.0, 0.0, 3.0])  # need not sum to 1, as torch's
    draws = cr.multinomial(weights, 20_000, replacement=True).numpy()
    assert draws.dtype == np.int64 and tuple(draws.shape) == (20_000,)
    counts = np.bincount(draws, minlength=3) / len(draws)
    assert counts[1] == 0 and abs(counts[2] - 0.75) < 0.02
    rows = cr.multinomial(cr.ones(4, 6), 6)  # without replacement: each row a permutation
    assert tuple(rows.shape) == (4, 6) == tuple(torch.multinomial(torch.ones(4, 6), 6).shape)
    for row in rows.numpy():
        assert sorted(row) == list(range(6))


@pytest.mark.parametrize("weights, n, kw, match", [
    ([1.0, 0.0, 2.0], 3, {}, "without replacement.*row 0.*2 positive"),
    ([0.0, 0.0], 1, {}, "row 0.*sums to 0"),
    ([1.0, -1.0], 1, {}, "finite and not negative"),
    ([1.0, 2.0], 0, {}, "num_samples.*0"),
    ([[[1.0]]], 1, {}, "1-d or 2-d.*\\(1, 1, 1\\)"),
])
def test_multinomial_refuses_what_it_cannot_draw(weights, n, kw, match):
    with pytest.raises(ValueError, match=match):
        cr.multinomial(cr.tensor(weights), n, **kw)
