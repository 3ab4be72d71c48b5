"""Data sets by name, for ``chainrule train --dataset NAME`` and the examples.

Each loader returns a ``Problem``: inputs, targets, the kind of problem (two classes, several
classes, or numbers) and, where the data set has one, its official test split.
"""

from dataclasses import dataclass
from importlib import resources

import numpy as np

SYNTHETIC_CLASSIFICATION = ("xor", "circle", "gauss", "spiral", "moons")
SYNTHETIC_REGRESSION = ("plane", "multi_gauss")
SKLEARN = ("iris", "digits-sklearn", "breast_cancer", "wine", "diabetes")
IMAGES = ("mnist", "mnist5k", "fashion-mnist")
NAMES = ("digits",) + SYNTHETIC_CLASSIFICATION + SYNTHETIC_REGRESSION + SKLEARN + IMAGES


@dataclass
class Problem:
    name: str
    X: np.ndarray
    y: np.ndarray
    task: str  # 'binary', 'multiclass' or 'regression'
    n_classes: int = 0
    X_test: np.ndarray = None
    y_test: np.ndarray = None

    @property
    def input_shape(self):
        return self.X.shape[1:]


def _classes(name, X, y, X_test=None, y_test=None):
    y = np.asarray(y).astype(np.int64).reshape(-1)
    n = int(y.max()) + 1
    if y_test is not None:
        y_test = np.asarray(y_test).astype(np.int64).reshape(-1)
        n = max(n, int(y_test.max()) + 1)
    task = "binary" if n == 2 else "multiclass"
    return Problem(name, X, y, task, n, X_test, y_test)


def load_bundled_digits():
    """The 8×8 digits bundled with chainrule: (images float32 in [0, 1], labels int64)."""
    with resources.files("chainrule").joinpath("resources/digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            images, labels = data["images"], data["labels"]
    return images.astype(np.float32) / 16.0, labels.astype(np.int64)


def load_problem(name, samples=1000, noise=0.0, seed=0, data_dir=None):
    """The named data set as a ``Problem`` (see ``NAMES``)."""
    from . import data

    if name == "digits":
        X, y = load_bundled_digits()
        return _classes(name, X, y)
    if name in SYNTHETIC_CLASSIFICATION:
        X, y = getattr(data, name)(n_samples=samples, noise=noise, seed=seed)
        return _classes(name, X, y)
    if name in SYNTHETIC_REGRESSION:
        X, y = getattr(data, name)(n_samples=samples, noise=noise, seed=seed)
        return Problem(name, X, np.asarray(y, np.float32).reshape(len(X), -1), "regression")
    if name in SKLEARN:
        X, y = data.load_sklearn(name.replace("-sklearn", ""))
        if name == "diabetes":
            return Problem(name, X, np.asarray(y, np.float32).reshape(len(X), -1), "regression")
        return _classes(name, X, y)
    if name == "mnist5k":  # real MNIST digits, bundled: no official test split
        X, y = data.load_mnist5k()
        return _classes(name, X.astype(np.float32) * np.float32(1 / 255), y)
    if name in IMAGES:
        kind = "fashion" if name.startswith("fashion") else "mnist"
        (X, y), (X_test, y_test) = data.load_mnist(data_dir, kind=kind)
        scale = np.float32(1 / 255)
        return _classes(name, X.astype(np.float32) * scale, y,
                        X_test.astype(np.float32) * scale, y_test)
    raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(NAMES)}")
