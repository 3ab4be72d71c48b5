"""random_split on datasets and train_test_split on arrays."""

import numpy as np
import pytest

from chainrule.data import TensorDataset, random_split, train_test_split


def _indices(subset):
    return subset.indices.tolist()


def test_random_split_with_lengths_partitions_the_dataset():
    parts = random_split(TensorDataset(np.arange(10)), [6, 3, 1], seed=0)
    assert [len(p) for p in parts] == [6, 3, 1]
    assert sorted(sum((_indices(p) for p in parts), [])) == list(range(10))


def test_random_split_with_fractions_gives_leftover_samples_to_the_first_parts():
    parts = random_split(TensorDataset(np.arange(11)), [0.5, 0.3, 0.2], seed=0)
    # floor gives 5, 3, 2 (10 samples); the 11th goes to the first part.
    assert [len(p) for p in parts] == [6, 3, 2]
    assert sorted(sum((_indices(p) for p in parts), [])) == list(range(11))


def test_random_split_is_reproducible_from_the_seed_and_shuffles():
    a = random_split(TensorDataset(np.arange(30)), [20, 10], seed=4)
    b = random_split(TensorDataset(np.arange(30)), [20, 10], seed=4)
    assert _indices(a[0]) == _indices(b[0])
    assert _indices(a[0]) != list(range(20))


def test_random_split_rejects_lengths_that_do_not_cover_the_dataset():
    with pytest.raises(ValueError, match="sum to"):
        random_split(TensorDataset(np.arange(10)), [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(TensorDataset(np.arange(10)), [0.5, 0.4])


def test_train_test_split_sizes_and_row_pairing():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
    assert X_train.shape == (7, 2) and X_test.shape == (3, 2)
    np.testing.assert_array_equal(X_train[:, 0] / 2, y_train)  # rows stay with their labels
    np.testing.assert_array_equal(X_test[:, 0] / 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))


def test_train_test_split_accepts_a_test_count():
    _, X_test, _, _ = train_test_split(np.zeros((10, 1)), np.zeros(10), test_size=4, seed=0)
    assert len(X_test) == 4


def test_train_test_split_without_shuffle_takes_the_last_rows_as_test():
    _, _, y_train, y_test = train_test_split(np.zeros((10, 1)), np.arange(10), test_size=0.2,
                                             shuffle=False)
    assert y_train.tolist() == list(range(8)) and y_test.tolist() == [8, 9]


def test_train_test_split_is_reproducible_from_the_seed():
    y = np.arange(50)
    a = train_test_split(y[:, None], y, seed=9)[3]
    b = train_test_split(y[:, None], y, seed=9)[3]
    np.testing.assert_array_equal(a, b)


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100)[:, None]
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, seed=1)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]


def test_stratified_split_hits_the_exact_test_size_when_shares_are_fractional():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    _, X_test, _, y_test = train_test_split(np.zeros((21, 1)), y, test_size=0.5, stratify=y,
                                            seed=0)
    counts = np.bincount(y_test, minlength=3)
    assert len(X_test) == 11 and counts.sum() == 11 and counts.max() - counts.min() <= 1


def test_train_test_split_rejects_mismatched_rows_and_bad_sizes():
    with pytest.raises(ValueError, match="same number of rows"):
        train_test_split(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.zeros((5, 2)), np.zeros(5), test_size=1.5)
    with pytest.raises(ValueError, match="no data on one side"):
        train_test_split(np.zeros((5, 2)), np.zeros(5), test_size=5)


def test_stratify_needs_two_samples_per_class():
    y = np.array([0, 0, 0, 1])
    with pytest.raises(ValueError, match="class 1"):
        train_test_split(np.zeros((4, 1)), y, test_size=0.5, stratify=y)
