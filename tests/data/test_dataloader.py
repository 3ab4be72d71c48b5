"""DataLoader: batches, epochs, shuffling, the array fast path and the generic fallback."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset


def _ids_dataset(n=10):
    """A dataset whose x is the sample's own index, so batches show which samples they hold."""
    return TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n, dtype=np.int64))


def _epoch_ids(loader):
    return np.concatenate([yb.array for _, yb in loader])


class ListDataset(Dataset):
    """A generic (not array-backed) dataset: the loader must collate its samples."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i


def test_every_sample_appears_exactly_once_per_epoch_when_shuffled():
    loader = DataLoader(_ids_dataset(23), batch_size=5, shuffle=True, seed=0)
    for _ in range(3):
        assert sorted(_epoch_ids(loader).tolist()) == list(range(23))


def test_without_shuffle_batches_come_in_dataset_order():
    loader = DataLoader(_ids_dataset(7), batch_size=3)
    assert [yb.tolist() for _, yb in loader] == [[0, 1, 2], [3, 4, 5], [6]]


def test_len_counts_batches_including_the_last_partial_one():
    assert len(DataLoader(_ids_dataset(10), batch_size=3)) == 4
    assert len(DataLoader(_ids_dataset(9), batch_size=3)) == 3
    assert len(list(DataLoader(_ids_dataset(10), batch_size=3))) == 4


def test_drop_last_drops_the_partial_batch():
    loader = DataLoader(_ids_dataset(10), batch_size=3, drop_last=True)
    assert len(loader) == 3
    batches = list(loader)
    assert len(batches) == 3 and all(len(xb) == 3 for xb, _ in batches)


def test_shuffle_order_differs_between_epochs():
    loader = DataLoader(_ids_dataset(50), batch_size=50, shuffle=True, seed=0)
    assert not np.array_equal(_epoch_ids(loader), _epoch_ids(loader))


def test_shuffle_orders_are_reproducible_from_the_seed():
    a = DataLoader(_ids_dataset(50), batch_size=8, shuffle=True, seed=3)
    b = DataLoader(_ids_dataset(50), batch_size=8, shuffle=True, seed=3)
    for _ in range(2):
        np.testing.assert_array_equal(_epoch_ids(a), _epoch_ids(b))


def test_shuffle_uses_the_given_generator():
    a = DataLoader(_ids_dataset(30), batch_size=30, shuffle=True,
                   generator=np.random.default_rng(5))
    expected = np.random.default_rng(5).permutation(30)
    np.testing.assert_array_equal(_epoch_ids(a), expected)


def test_manual_seed_makes_default_shuffling_repeatable():
    loader = DataLoader(_ids_dataset(40), batch_size=40, shuffle=True)
    cr.manual_seed(11)
    first = _epoch_ids(loader)
    cr.manual_seed(11)
    np.testing.assert_array_equal(_epoch_ids(loader), first)


def test_each_iter_is_a_fresh_independent_iterator():
    loader = DataLoader(_ids_dataset(6), batch_size=2)
    it1, it2 = iter(loader), iter(loader)
    assert it1 is not it2
    next(it1)
    assert next(it2)[1].tolist() == [0, 1]
    assert len(it1) == 2


def test_batches_are_tensors_that_keep_float32_and_int64():
    xb, yb = next(iter(DataLoader(_ids_dataset(), batch_size=4, shuffle=True, seed=0)))
    assert isinstance(xb, cr.Tensor) and isinstance(yb, cr.Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert xb.shape == (4, 1) and yb.shape == (4,)


def test_unshuffled_batches_are_views_of_the_dataset_arrays():
    X = np.arange(8, dtype=np.float32).reshape(4, 2)
    xb, = next(iter(DataLoader(TensorDataset(X), batch_size=2)))
    assert np.shares_memory(xb.array, X)


def test_array_backed_datasets_are_batched_without_reading_single_samples(monkeypatch):
    def no_items(self, i):
        raise AssertionError("the fast path must not read samples one by one")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_items)
    ds = TensorDataset(np.arange(9, dtype=np.float32), np.arange(9))
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, seed=0))
    assert sorted(np.concatenate([b[1].array for b in batches]).tolist()) == list(range(9))


def test_a_tensor_dataset_subclass_that_changes_its_samples_is_asked_for_each_as_in_torch():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    class TorchDoubled(torch.utils.data.TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    X, y = np.arange(6, dtype=np.float32).reshape(3, 2), np.arange(3)
    for data in (Doubled(X, y), Subset(Doubled(X, y), [2, 0, 1])):
        xb, yb = next(iter(DataLoader(data, batch_size=3)))
        expected = next(iter(torch.utils.data.DataLoader(
            TorchDoubled(torch.tensor(X), torch.tensor(y)), batch_size=3)))[0].numpy()
        np.testing.assert_array_equal(xb.array, expected[yb.array])


def test_subset_of_a_tensor_dataset_takes_the_fast_path_with_its_own_rows(monkeypatch):
    def no_items(self, i):
        raise AssertionError("the fast path must not read samples one by one")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_items)
    sub = Subset(TensorDataset(np.arange(10) * 10), [9, 3, 4])
    assert [b[0].tolist() for b in DataLoader(sub, batch_size=2)] == [[90, 30], [40]]


def test_generic_datasets_are_collated_field_by_field():
    xb, yb = next(iter(DataLoader(ListDataset(5), batch_size=3)))
    assert xb.shape == (3, 3) and xb.dtype == np.float32
    assert yb.tolist() == [0, 1, 2] and yb.dtype == np.int64


def test_generic_datasets_are_shuffled_too():
    loader = DataLoader(ListDataset(12), batch_size=5, shuffle=True, seed=0)
    ids = np.concatenate([yb.array for _, yb in loader])
    assert sorted(ids.tolist()) == list(range(12)) and ids.tolist() != list(range(12))


def test_bad_batch_size_is_rejected():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            DataLoader(_ids_dataset(), batch_size=bad)


def test_generator_and_seed_together_are_rejected():
    with pytest.raises(ValueError, match="generator or seed"):
        DataLoader(_ids_dataset(), generator=np.random.default_rng(0), seed=1)


def test_dataset_without_length_is_rejected():
    with pytest.raises(TypeError, match="length"):
        DataLoader(object())
