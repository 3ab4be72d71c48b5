"""Dataset, TensorDataset and Subset."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Dataset, Subset, TensorDataset


def test_tensor_dataset_item_is_the_row_of_every_array():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6, dtype=np.int64)
    xi, yi = TensorDataset(X, y)[4]
    assert isinstance(xi, cr.Tensor)
    np.testing.assert_array_equal(xi.array, X[4])
    assert yi.item() == 4


def test_tensor_dataset_keeps_arrays_without_copying():
    X = np.zeros((3, 2), dtype=np.float32)
    ds = TensorDataset(cr.tensor(X), X)
    assert ds.arrays[1] is X
    assert ds.arrays[0].dtype == np.float32


def test_tensor_dataset_length_is_number_of_rows():
    assert len(TensorDataset(np.zeros((5, 3)), np.zeros(5))) == 5


def test_tensor_dataset_rejects_unequal_first_dimensions_naming_the_shapes():
    with pytest.raises(ValueError, match=r"same first dimension.*\(5, 3\).*\(4,\)"):
        TensorDataset(np.zeros((5, 3)), np.zeros(4))


def test_tensor_dataset_rejects_scalars_and_no_arrays():
    with pytest.raises(TypeError, match="scalar"):
        TensorDataset(np.zeros(3), 7)
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_tensor_dataset_turns_python_floats_into_float32():
    ds = TensorDataset([[0.5, 1.5], [2.5, 3.5]], [0, 1])
    assert ds.arrays[0].dtype == np.float32
    assert ds.arrays[1].dtype == np.int64


def test_base_dataset_methods_must_be_overridden():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_subset_reads_the_parent_at_its_indices_in_order():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [7, 2, -1])
    assert len(sub) == 3
    assert [sub[i][0].item() for i in range(3)] == [7, 2, 9]


def test_subset_rejects_indices_out_of_range():
    with pytest.raises(IndexError, match=r"\[-4, 4\)"):
        Subset(TensorDataset(np.arange(4)), [0, 4])


def test_subset_rejects_non_integer_indices():
    with pytest.raises(TypeError, match="integers"):
        Subset(TensorDataset(np.arange(4)), [0.5, 1.0])
