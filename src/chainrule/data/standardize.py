"""Standardisation: shift and scale each feature to mean 0 and standard deviation 1.

Fit on the training data only, then apply the *same* shift and scale to the test data: statistics
computed on the test set would leak it into training.
"""

import numpy as np

from ..tensor import Tensor


def _features(X, who):
    arr = X.array if isinstance(X, Tensor) else np.asarray(X)
    if arr.ndim == 0:
        raise ValueError(f"{who}: needs rows of features, got a scalar")
    if arr.dtype.kind not in "fc":
        arr = arr.astype(np.float32)
    return arr


class Standardizer:
    """``x' = (x - mean) / std`` per feature (column), with mean and std learned by ``fit``.

    A feature that never varies (std 0) is only shifted, not divided by zero.
    """

    def __init__(self):
        self.mean = None
        self.std = None

    @classmethod
    def from_stats(cls, mean, std):
        """A standardiser with a mean and std fitted before (read back from a saved run)."""
        scaler = cls()
        scaler.mean, scaler.std = np.asarray(mean), np.asarray(std)
        return scaler

    def fit(self, X):
        X = _features(X, "Standardizer.fit")
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X has no rows")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1).astype(X.dtype)
        return self

    def _check(self, X, who):
        if self.mean is None:
            raise RuntimeError(f"Standardizer.{who}: call fit(X_train) first")
        X = _features(X, f"Standardizer.{who}")
        if X.shape[1:] != self.mean.shape:
            raise ValueError(f"Standardizer.{who}: fitted on rows of shape {self.mean.shape}, "
                             f"got rows of shape {X.shape[1:]}")
        return X

    def transform(self, X):
        X = self._check(X, "transform")
        return ((X - self.mean) / self.std).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        X = self._check(X, "inverse_transform")
        return (X * self.std + self.mean).astype(X.dtype, copy=False)

    def fit_transform(self, X):
        return self.fit(X).transform(X)


def standardize(X_train, *others):
    """Standardise ``X_train`` and each of ``others`` with the training set's mean and std.

    Returns the standardised training array alone, or a tuple with the others after it.
    """
    scaler = Standardizer().fit(X_train)
    if not others:
        return scaler.transform(X_train)
    return (scaler.transform(X_train), *(scaler.transform(X) for X in others))
