"""load_sklearn: scikit-learn's bundled sets as float32 features and int64 / float32 targets."""

import sys

import numpy as np
import pytest

from chainrule.data import load_sklearn

pytest.importorskip("sklearn")


@pytest.mark.parametrize("name, shape, classes", [
    ("iris", (150, 4), 3), ("wine", (178, 13), 3), ("breast_cancer", (569, 30), 2),
    ("digits", (1797, 64), 10),
])
def test_classification_sets_have_float32_features_and_int64_labels(name, shape, classes):
    X, y = load_sklearn(name)
    assert X.shape == shape and X.dtype == np.float32
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert len(np.unique(y)) == classes


def test_diabetes_is_a_regression_set_with_a_column_target():
    X, y = load_sklearn("diabetes")
    assert X.shape == (442, 10) and X.dtype == np.float32
    assert y.shape == (442, 1) and y.dtype == np.float32


def test_unknown_names_are_rejected_with_the_choices():
    with pytest.raises(ValueError, match="iris"):
        load_sklearn("mnist")


def test_missing_sklearn_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[sklearn\]"):
        load_sklearn("iris")
