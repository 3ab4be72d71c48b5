"""MNIST and Fashion-MNIST: 28×28 grey images of digits (or clothes), 60 000 train, 10 000 test.

``load_mnist`` reads the standard IDX files (gzipped or not) or Keras' ``mnist.npz``, from a path
or from a cache directory, and downloads them there if they are missing. Downloads go to a temp
file, are checked against the published checksum, then renamed into place, so a half-finished
download never looks like a data set. Nothing is unpickled.
"""

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np

_IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# Where each kind is downloaded from, with the checksum its publisher records: Keras pins a SHA-256
# for mnist.npz; for Fashion-MNIST's IDX files only MD5s are published (by Zalando, and used by
# torchvision), so those are verified with MD5.
_FASHION_URL = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
_SOURCES = {
    "mnist": {
        "subdir": "mnist",
        "downloads": [
            ("mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
             "sha256", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
        ],
    },
    "fashion": {
        "subdir": "fashion-mnist",
        "downloads": [
            (name + ".gz", _FASHION_URL + name + ".gz", "md5", md5)
            for name, md5 in [
                ("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                ("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
                ("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
                ("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
            ]
        ],
    },
}

# IDX type codes (third byte of the magic number) and the big-endian dtypes they stand for.
_IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DownloadError(OSError):
    """A data set could not be downloaded, or the download did not match its checksum."""


def default_cache_dir():
    """``$CHAINRULE_DATA`` if set, else ``~/.chainrule/datasets``."""
    return Path(os.environ.get("CHAINRULE_DATA") or Path.home() / ".chainrule" / "datasets")


# -- reading ------------------------------------------------------------------------------------
def _read_bytes(path):
    """The file's bytes, gunzipped if it starts with the gzip magic number."""
    raw = Path(path).read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path} is a corrupt or truncated gzip file ({e}); delete it and "
                         f"download it again") from None


def read_idx(path, ndim=None):
    """Read one IDX file (the format of the MNIST files) into an array.

    The header is two zero bytes, a type code, the number of dimensions, then each dimension as a
    big-endian uint32; the values follow, big-endian.
    """
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES:
        magic = raw[:4].hex() or "empty"
        raise ValueError(f"{path} is not an IDX file: its magic number is {magic}, expected "
                         f"0000 then a type code (08 for uint8) and the dimension count")
    rank = raw[3]
    if ndim is not None and rank != ndim:
        raise ValueError(f"{path}: expected an IDX file with {ndim} dimensions, this one has "
                         f"{rank}")
    header = 4 + 4 * rank
    if len(raw) < header:
        raise ValueError(f"{path} is truncated: its header needs {header} bytes, the file has "
                         f"{len(raw)}")
    shape = struct.unpack(f">{rank}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64))
    expected = header + count * dtype.itemsize
    if len(raw) != expected:
        problem = "is truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(f"{path} {problem}: a header of shape {shape} needs {expected} bytes, "
                         f"the file has {len(raw)}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _check_pair(images, labels, where):
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{where}: expected images of shape (n, rows, cols) and labels of shape "
                         f"(n,), got {images.shape} and {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{where}: {len(images)} images but {len(labels)} labels")
    if images.dtype != np.uint8 or labels.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected uint8 images and integer labels, got "
                         f"{images.dtype} and {labels.dtype}")
    return images, labels.astype(np.int64)


def _load_idx(files):
    parts = {key: read_idx(p, 3 if key.endswith("images") else 1) for key, p in files.items()}
    where = f"the IDX files in {Path(files['train_images']).parent}"
    return (_check_pair(parts["train_images"], parts["train_labels"], where),
            _check_pair(parts["test_images"], parts["test_labels"], where))


def _load_npz(path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        # our own handle: np.load leaks the one it opens when the zip is unreadable
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as f:
            missing = [k for k in keys if k not in f.files]
            if missing:
                raise ValueError(f"{path} lacks the arrays {missing} (Keras' mnist.npz holds "
                                 f"{list(keys)})")
            arrays = {k: f[k] for k in keys}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        if isinstance(e, ValueError) and "lacks the arrays" in str(e):
            raise
        raise ValueError(f"{path} is not a readable .npz file ({e}); it may be corrupt or "
                         f"truncated: delete it and download it again") from None
    return (_check_pair(arrays["x_train"], arrays["y_train"], str(path)),
            _check_pair(arrays["x_test"], arrays["y_test"], str(path)))


def _find_idx(directory):
    """Each IDX file's path in ``directory`` (plain or .gz), or None for those missing."""
    found = {}
    for key, name in _IDX_NAMES.items():
        candidates = [directory / name, directory / (name + ".gz")]
        found[key] = next((p for p in candidates if p.is_file()), None)
    return found


# -- downloading --------------------------------------------------------------------------------
def _download(url, dest, algorithm, expected):
    """Fetch ``url`` to ``dest`` via a temp file in the same directory, checking its hash."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        digest = hashlib.new(algorithm, usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected:
            raise DownloadError(f"the download of {url} is corrupt: its {algorithm} is "
                                f"{digest.hexdigest()}, expected {expected}; nothing was saved")
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _what_to_place(kind, directory):
    idx = ", ".join(n + ".gz" for n in _IDX_NAMES.values())
    if kind == "mnist":
        return (f"put Keras' mnist.npz ({_SOURCES['mnist']['downloads'][0][1]}) at "
                f"{directory / 'mnist.npz'}, or the four IDX files ({idx}; gzipped or not) in "
                f"{directory}/")
    return f"put the four Fashion-MNIST IDX files ({idx}; gzipped or not) in {directory}/"


def _fetch(kind, directory):
    for name, url, algorithm, expected in _SOURCES[kind]["downloads"]:
        dest = directory / name
        if dest.is_file():
            continue
        try:
            _download(url, dest, algorithm, expected)
        except (OSError, http.client.HTTPException) as e:
            if isinstance(e, DownloadError):
                raise
            raise DownloadError(
                f"load_mnist: downloading {url} failed ({e}). Without a network, "
                f"{_what_to_place(kind, directory)} — or pass load_mnist(path=...) to where "
                f"the files are") from e


# -- the public loader --------------------------------------------------------------------------
def _load_dir(directory):
    """The data set in ``directory``, or None if its files are not there."""
    idx = _find_idx(directory)
    if all(idx.values()):
        return _load_idx(idx)
    if (directory / "mnist.npz").is_file():
        return _load_npz(directory / "mnist.npz")
    return None


def load_mnist(path=None, cache_dir=None, kind="mnist", download=True):
    """``((X_train, y_train), (X_test, y_test))``: uint8 images (n, 28, 28), int64 labels 0–9.

    ``path`` is a ``.npz`` file or a directory holding the files; without it they are looked for
    (and downloaded to) ``cache_dir/<kind>``, ``cache_dir`` defaulting to ``$CHAINRULE_DATA`` or
    ``~/.chainrule/datasets``. ``kind`` is ``'mnist'`` or ``'fashion'`` (Fashion-MNIST).
    """
    if kind not in _SOURCES:
        raise ValueError(f"load_mnist: kind must be 'mnist' or 'fashion', got {kind!r}")
    if path is not None and cache_dir is not None:
        raise ValueError("load_mnist: give path or cache_dir, not both")
    if path is not None:
        path = Path(path).expanduser()
        if path.is_file():
            if path.suffix != ".npz":
                raise ValueError(f"load_mnist: {path} is a single file; pass a .npz file or the "
                                 f"directory holding the four IDX files")
            return _load_npz(path)
        if path.suffix == ".npz":
            raise FileNotFoundError(f"load_mnist: {path} does not exist")
        directory = path
    else:
        base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        directory = base / _SOURCES[kind]["subdir"]
    loaded = _load_dir(directory)
    if loaded is not None:
        return loaded
    if not download:
        raise FileNotFoundError(f"load_mnist: no {kind} files in {directory} and download=False:"
                                f" {_what_to_place(kind, directory)}")
    _fetch(kind, directory)
    loaded = _load_dir(directory)
    if loaded is None:  # only if a partial set of IDX files sits beside the download
        raise FileNotFoundError(f"load_mnist: {directory} is incomplete: "
                                f"{_what_to_place(kind, directory)}")
    return loaded
