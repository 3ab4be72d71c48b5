"""cumsum: running totals along one dim, checked by finite differences and against torch."""

import numpy as np
import pytest
import torch
from helpers import check_op, compare_with_torch, normal, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


@given(shapes(min_dims=1), st.data(), seeds)
def test_cumsum_along_any_dim_matches_torch(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_op(lambda a: a.cumsum(dim), [normal(seed, shape)])
    check_op(lambda a: cr.cumsum(a, dim=dim), [normal(seed, shape)],
             torch_fn=lambda a: torch.cumsum(a, dim=dim))


def test_cumsum_of_a_0d_and_an_empty_tensor_as_torch():
    compare_with_torch(lambda a: a.cumsum(0), [np.array(2.5)])
    compare_with_torch(lambda a: a.cumsum(-1), [np.zeros((2, 0))])


def test_cumsum_dtypes_follow_torch():
    for dtype in (np.int32, np.uint8, np.bool_):
        x = np.array([[1, 0, 1], [1, 1, 0]], dtype=dtype)
        ours, theirs = cr.tensor(x).cumsum(1), torch.tensor(x).cumsum(1)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), dtype
    assert cr.ones(3).cumsum(0).dtype == np.float32
    x = np.array([1, 2, 3], dtype=np.int32)
    assert cr.tensor(x).cumsum(0, dtype=cr.float64).tolist() == [1.0, 3.0, 6.0]
    compare_with_torch(lambda a: a.cumsum(0, dtype=cr.float32).double(), [np.array([1.5, 2.0])],
                       torch_fn=lambda a: a.cumsum(0, dtype=torch.float32).double())


def test_cumsum_needs_a_dim_in_range_and_says_so():
    with pytest.raises(TypeError):
        cr.ones(3).cumsum()
    with pytest.raises(IndexError, match="cumsum: dim 1 is out of range"):
        cr.ones(3).cumsum(1)
