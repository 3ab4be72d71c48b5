"""sort, argsort and topk: values and gradients checked by finite differences (on values without
ties) and against torch; indices, including the order of ties and NaN, against torch's stable
sort."""

import numpy as np
import pytest
import torch
from helpers import check_op, compare_with_torch, distinct, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")

TIES = np.array([[1.0, 3.0, 3.0, 2.0, 1.0, 3.0], [0.0, 0.0, 0.0, -1.0, 5.0, 0.0]])


def _dim(data, shape):
    return data.draw(st.integers(-len(shape), len(shape) - 1))


# -- sort and argsort -----------------------------------------------------------------------------
@given(shapes(min_dims=1), st.data(), st.booleans(), seeds)
def test_sort_values_and_gradients_match_torch(shape, data, descending, seed):
    dim = _dim(data, shape)
    x = distinct(seed, shape)
    check_op(lambda a: a.sort(dim, descending).values, [x])
    ours, theirs = cr.sort(cr.tensor(x), dim, descending), torch.sort(torch.tensor(x), dim,
                                                                     descending)
    np.testing.assert_array_equal(ours.indices.array, theirs.indices.numpy())
    assert ours.indices.dtype == np.int64


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_keeps_ties_in_order_and_puts_nan_last_as_torch_stable_sort(descending, dim):
    x = TIES.copy()
    x[0, 3] = np.nan
    ours = cr.tensor(x).sort(dim, descending, stable=True)
    theirs = torch.tensor(x).sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.array, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.array, theirs.indices.numpy())
    # each value's gradient goes back to the element it came from, ties included
    compare_with_torch(lambda a: a.sort(dim=dim, descending=descending, stable=True).values,
                       [TIES])
    argsorted = cr.argsort(cr.tensor(x), dim, descending, stable=True)
    np.testing.assert_array_equal(argsorted.array, torch.argsort(
        torch.tensor(x), dim=dim, descending=descending, stable=True).numpy())


def test_sort_gives_torch_s_named_pair_for_every_dtype_and_a_0d_tensor():
    values, indices = cr.tensor([3, 1, 2]).sort()
    assert values.tolist() == [1, 2, 3] and indices.tolist() == [1, 2, 0]
    booleans = cr.tensor([True, False, True]).sort()
    expected = torch.tensor([True, False, True]).sort()
    assert booleans.values.tolist() == expected.values.tolist()
    assert booleans.indices.tolist() == expected.indices.tolist()
    compare_with_torch(lambda a: a.sort(0).values, [np.array(2.5)])
    assert cr.tensor(2.5).sort().indices.shape == ()
    assert cr.ones(2, 3, dtype=cr.float32).sort().values.dtype == np.float32


def test_argsort_is_sort_s_indices():
    x = distinct(4, (3, 5))
    assert cr.tensor(x).argsort().tolist() == torch.tensor(x).argsort().tolist()
    assert cr.tensor(x).argsort(0, True).tolist() == torch.tensor(x).argsort(0, True).tolist()
    assert not cr.tensor(x, requires_grad=True).argsort().requires_grad


def test_sort_checks_its_dim_by_name():
    with pytest.raises(IndexError, match="sort: dim 2 is out of range"):
        cr.ones(2, 3).sort(2)
    with pytest.raises(IndexError, match="argsort: dim -3 is out of range"):
        cr.ones(2, 3).argsort(-3)


# -- topk -----------------------------------------------------------------------------------------
@given(shapes(min_dims=1), st.data(), st.booleans(), seeds)
def test_topk_values_indices_and_gradients_match_torch(shape, data, largest, seed):
    dim = _dim(data, shape)
    k = data.draw(st.integers(0, shape[dim]))
    x = distinct(seed, shape)
    check_op(lambda a: a.topk(k, dim, largest).values, [x])
    ours = cr.topk(cr.tensor(x), k, dim=dim, largest=largest)
    theirs = torch.topk(torch.tensor(x), k, dim=dim, largest=largest)
    np.testing.assert_array_equal(ours.indices.array, theirs.indices.numpy())
    assert ours.values.shape == tuple(theirs.values.shape)


def test_topk_with_ties_gives_torch_s_values_and_sends_the_gradient_to_picked_elements():
    for largest in (True, False):
        ours = cr.tensor(TIES, requires_grad=True)
        values, indices = ours.topk(3, 1, largest)
        np.testing.assert_array_equal(values.array, torch.tensor(TIES).topk(3, 1, largest)[0])
        values.sum().backward()
        picked = np.zeros_like(TIES)
        np.put_along_axis(picked, indices.array, 1.0, axis=1)
        np.testing.assert_array_equal(ours.grad.array, picked)  # 1 where picked, 0 elsewhere
        np.testing.assert_array_equal(np.take_along_axis(TIES, indices.array, 1), values.array)


def test_topk_unsorted_and_of_a_0d_tensor():
    x = distinct(5, (4, 6))
    ours, theirs = cr.tensor(x).topk(3, sorted=False), torch.tensor(x).topk(3, sorted=False)
    np.testing.assert_array_equal(np.sort(ours.values.array), np.sort(theirs.values.numpy()))
    values, indices = cr.tensor(2.5).topk(1)
    assert values.shape == () and values.item() == 2.5 and indices.item() == 0


def test_topk_refuses_a_k_out_of_range_by_name():
    with pytest.raises(ValueError, match="topk: k=4 is out of range for dim -1 of size 3"):
        cr.ones(2, 3).topk(4)
    with pytest.raises(ValueError, match="topk: k=-1"):
        cr.ones(2, 3).topk(-1)
    with pytest.raises(TypeError, match="topk: k must be an integer"):
        cr.ones(2, 3).topk(1.5)
    with pytest.raises(IndexError, match="topk: dim 2 is out of range"):
        cr.ones(2, 3).topk(1, dim=2)
