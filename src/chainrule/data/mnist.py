"""MNIST and Fashion-MNIST: 28×28 grey images of digits (or clothes), 60 000 train, 10 000 test.

``load_mnist`` reads the standard IDX files (gzipped or not) or Keras' ``mnist.npz``, from a path
or from a cache directory, and downloads them there if they are missing. Downloads go to a temp
file, are checked against the published checksum, then renamed into place, so a half-finished
download never looks like a data set. Nothing is unpickled.
"""

import gzip
import hashlib
import http.client
import math
import os
import struct
import sys
import tempfile
import urllib.error
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
# A gzip stream inflates at most about 1032-fold (deflate's limit); a gzipped IDX file whose header
# claims more data than that is refused before anything is read.
_GZIP_MAX_RATIO = 1032
_IDX_MAX_RANK = 8  # MNIST uses 1 and 3; the format's byte allows 255
_IDX_MAX_DIM = 1 << 31  # a uint32 reaches 2**32 - 1: no real image set has 2 billion rows
_CHUNK = 1 << 20


def _idx_error(path, problem):
    from ..io.errors import CorruptFileError

    return CorruptFileError(path, problem, kind="IDX")


def _is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def read_idx(path, ndim=None):
    """Read one IDX file (the format of the MNIST files), plain or gzipped, into an array.

    The header is two zero bytes, a type code, the number of dimensions, then each dimension as a
    big-endian uint32; the values follow, big-endian. The header is read and checked against the
    file's size before the data is, so a damaged or crafted file is refused
    (``CorruptFileError``, a ValueError) without reading or allocating what it claims.
    """
    size = os.path.getsize(path)
    gz = _is_gzip(path)
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            return _read_idx(path, f, size, gz, ndim)
    except (OSError, EOFError, zlib.error) as e:
        if not gz or isinstance(e, FileNotFoundError):
            raise
        raise _idx_error(path, f"a corrupt or truncated gzip file ({e}); delete it and "
                               "download it again") from None


def _read_idx(path, f, size, gz, ndim):
    magic = f.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_TYPES:
        found = magic.hex() or "empty"
        raise _idx_error(path, f"its magic number is {found}, expected 0000 then a type code "
                               "(08 for uint8) and the dimension count (not an IDX file)")
    rank = magic[3]
    if ndim is not None and rank != ndim:
        raise _idx_error(path, f"expected an IDX file with {ndim} dimensions, this one has {rank}")
    if rank > _IDX_MAX_RANK:
        raise _idx_error(path, f"{rank} dimensions; at most {_IDX_MAX_RANK} are accepted")
    dims = f.read(4 * rank)
    header = 4 + 4 * rank
    if len(dims) < 4 * rank:
        raise _idx_error(path, f"the file is truncated: its header needs {header} bytes, the "
                               f"file has {4 + len(dims)}")
    shape = struct.unpack(f">{rank}I", dims)
    if any(d > _IDX_MAX_DIM for d in shape):
        raise _idx_error(path, f"its header claims shape {shape}, a dimension over "
                               f"{_IDX_MAX_DIM} (a huge dimension: damaged or not MNIST)")
    dtype = np.dtype(_IDX_TYPES[magic[2]])
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    # What the file can hold, known before reading: its size, or for gzip the most it inflates to.
    room = (size * _GZIP_MAX_RATIO) if gz else size - header
    if nbytes > room:
        raise _idx_error(path, f"the file is truncated: a header of shape {shape} needs "
                               f"{header + nbytes} bytes of data, the file "
                               + (f"is {size} bytes of gzip, which cannot inflate that far"
                                  if gz else f"has {size}"))
    data = bytearray()
    while len(data) < nbytes:  # grows with what really arrives, never to the claimed size first
        chunk = f.read(min(_CHUNK, nbytes - len(data)))
        if not chunk:
            raise _idx_error(path, f"the file is truncated: a header of shape {shape} needs "
                                   f"{header + nbytes} bytes, the file has {header + len(data)}")
        data += chunk
    if f.read(1):
        raise _idx_error(path, f"the file has trailing bytes: a header of shape {shape} needs "
                               f"{header + nbytes} bytes, the file has more")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _check_pair(images, labels, where):
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{where}: expected images of shape (n, rows, cols) and labels of shape "
                         f"(n,), got {images.shape} and {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{where}: {len(images)} images but {len(labels)} labels")
    if images.dtype != np.uint8 or labels.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected uint8 images and integer labels, got "
                         f"{images.dtype} and {labels.dtype}")
    labels = labels.astype(np.int64)
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise ValueError(f"{where}: label {labels[bad[0]]} at index {bad[0]} is out of range "
                         f"(MNIST's labels are 0 to 9; {bad.size} label(s) are outside)")
    return images, labels


def _check_same_image_size(train, test, where):
    if train[0].shape[1:] != test[0].shape[1:]:
        raise ValueError(f"{where}: the training images are {train[0].shape[1]}×"
                         f"{train[0].shape[2]} but the test images are {test[0].shape[1]}×"
                         f"{test[0].shape[2]}; both sets must have one image size")
    return train, test


def _load_idx(files):
    parts = {key: read_idx(p, 3 if key.endswith("images") else 1) for key, p in files.items()}
    pairs = {}
    for split in ("train", "test"):
        names = f"{Path(files[split + '_images']).name} and {Path(files[split + '_labels']).name}"
        pairs[split] = _check_pair(parts[split + "_images"], parts[split + "_labels"],
                                   f"{names} in {Path(files[split + '_images']).parent}")
    return _check_same_image_size(pairs["train"], pairs["test"],
                                  f"the IDX files in {Path(files['train_images']).parent}")


def _load_npz(path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        _check_npz_sizes(path, keys)
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
    return _check_same_image_size(_check_pair(arrays["x_train"], arrays["y_train"], str(path)),
                                  _check_pair(arrays["x_test"], arrays["y_test"], str(path)),
                                  str(path))


def _check_npz_sizes(path, keys):
    """Each array's .npy header against its zip entry, before NumPy allocates what it claims
    (np.load makes the whole array first, then reads into it)."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        missing = [k for k in keys if k + ".npy" not in names]
        if missing:
            raise ValueError(f"{path} lacks the arrays {missing} (Keras' mnist.npz holds "
                             f"{list(keys)})")
        for key in keys:
            info = z.getinfo(key + ".npy")
            if info.file_size > _GZIP_MAX_RATIO * info.compress_size + 4096:
                raise ValueError(f"{key} claims {info.file_size} bytes, more than its "
                                 f"{info.compress_size} compressed bytes can hold")
            with z.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read_header(f)
            if dtype.hasobject:
                raise ValueError(f"{key} holds Python objects (a pickle), which are never "
                                 "loaded")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                raise ValueError(f"{key} claims shape {shape} of {dtype}, more than its "
                                 f"{info.file_size} bytes hold")


def _find_idx(directory):
    """Each IDX file's path in ``directory`` (plain or .gz), or None for those missing."""
    found = {}
    for key, name in _IDX_NAMES.items():
        candidates = [directory / name, directory / (name + ".gz")]
        found[key] = next((p for p in candidates if p.is_file()), None)
    return found


# -- downloading --------------------------------------------------------------------------------
def _download(url, dest, algorithm, expected, stream=None):
    """Fetch ``url`` to ``dest`` via a temp file in the same directory, checking its hash.

    A progress bar (in KiB) goes to ``stream`` (stderr by default): MNIST is 11 MB, a wait
    worth showing.
    """
    from ..progress import ProgressBar

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        digest = hashlib.new(algorithm, usedforsecurity=False)
        received = 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            length = _content_length(response)
            bar = ProgressBar(None if length is None else length // 1024,
                              stream=sys.stderr if stream is None else stream,
                              prefix=f"Downloading {dest.name} (KiB)")
            try:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(received // 1024)
            except http.client.IncompleteRead as e:
                received += len(e.partial)
            bar.close()
        if length is not None and received != length:
            raise DownloadError(f"the download of {url} was cut short: {received} of {length} "
                                f"bytes arrived; nothing was saved, try again")
        if digest.hexdigest() != expected:
            raise DownloadError(f"the download of {url} is corrupt: its {algorithm} is "
                                f"{digest.hexdigest()}, expected {expected}; nothing was saved")
        os.replace(tmp, dest)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, urllib.error.HTTPError):
            e.close()  # it holds the server's answer open: a socket left to the collector
        raise


def _content_length(response):
    """The size the server announced, or None (a test double, or no Content-Length header)."""
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value is not None and value.isdigit() else None


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
                f"load_mnist: downloading {url} failed ({e}){_which_missing(directory)}. "
                f"Without a network, {_what_to_place(kind, directory)} — or pass "
                f"load_mnist(path=...) to where the files are. For real MNIST digits that need "
                f"no download, the 5,000-image sample ships with chainrule: --dataset mnist5k, "
                f"or load_mnist5k()") from e


# -- the public loader --------------------------------------------------------------------------
def _load_dir(directory):
    """The data set in ``directory``, or None if its files are not there."""
    idx = _find_idx(directory)
    if all(idx.values()):
        return _load_idx(idx)
    if (directory / "mnist.npz").is_file():
        return _load_npz(directory / "mnist.npz")
    return None


def _which_missing(directory):
    """'; it lacks Y' when some of the four IDX files are there: the one(s) to look for."""
    idx = _find_idx(directory)
    missing = [_IDX_NAMES[key] for key, found in idx.items() if found is None]
    if not missing or len(missing) == len(idx):
        return ""
    return f"; it lacks {', '.join(missing)} (plain or .gz) of the four IDX files"


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
        raise FileNotFoundError(f"load_mnist: no {kind} files in {directory} and download=False"
                                f"{_which_missing(directory)}: {_what_to_place(kind, directory)}")
    _fetch(kind, directory)
    loaded = _load_dir(directory)
    if loaded is None:  # only if a partial set of IDX files sits beside the download
        raise FileNotFoundError(f"load_mnist: {directory} is incomplete"
                                f"{_which_missing(directory)}: {_what_to_place(kind, directory)}")
    return loaded
