"""scikit-learn's small bundled data sets (no download needed), as chainrule-ready arrays.

Needs the optional extra: ``pip install chainrule[sklearn]``.
"""

import numpy as np

# name -> (loader function in sklearn.datasets, is it a classification set)
_SETS = {
    "iris": ("load_iris", True),
    "digits": ("load_digits", True),
    "breast_cancer": ("load_breast_cancer", True),
    "wine": ("load_wine", True),
    "diabetes": ("load_diabetes", False),
}


def load_sklearn(name):
    """``(X, y)`` for one of scikit-learn's bundled sets: iris, digits, breast_cancer, wine,
    diabetes. X is float32; y is int64 class labels, or float32 of shape (n, 1) for diabetes
    (a regression target).
    """
    if name not in _SETS:
        raise ValueError(f"load_sklearn: unknown data set {name!r}; choose one of {sorted(_SETS)}")
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError("load_sklearn needs scikit-learn: pip install chainrule[sklearn]") \
            from None
    loader, classification = _SETS[name]
    X, y = getattr(datasets, loader)(return_X_y=True)
    X = np.asarray(X, dtype=np.float32)
    if classification:
        return X, np.asarray(y, dtype=np.int64)
    return X, np.asarray(y, dtype=np.float32).reshape(-1, 1)
