"""Standardizer and standardize: statistics from the training set, applied to both."""

import numpy as np
import pytest

from chainrule.data import Standardizer, standardize


def test_fit_transform_gives_zero_mean_unit_std_per_feature():
    X = np.random.default_rng(0).normal([3, -2], [5, 0.5], size=(200, 2)).astype(np.float32)
    Z = Standardizer().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-5)
    assert Z.dtype == np.float32


def test_test_data_uses_the_training_statistics():
    X_train = np.array([[0.0], [2.0]], dtype=np.float32)  # mean 1, std 1
    _, Z_test = standardize(X_train, np.array([[3.0]], dtype=np.float32))
    np.testing.assert_allclose(Z_test, [[2.0]])


def test_constant_features_are_shifted_not_divided_by_zero():
    Z = standardize(np.array([[1.0, 5.0], [3.0, 5.0]], dtype=np.float32))
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, 1], 0)


def test_inverse_transform_undoes_transform():
    X = np.random.default_rng(1).normal(size=(10, 3)).astype(np.float32)
    s = Standardizer().fit(X)
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X, atol=1e-5)


def test_transform_before_fit_and_wrong_width_are_rejected():
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        s.transform(np.zeros((3, 3)))
