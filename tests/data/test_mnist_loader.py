"""load_mnist on small files written here in the real formats; the network is never touched."""

import gzip
import hashlib
import io
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest

from chainrule.data import DownloadError, load_mnist, read_idx
from chainrule.data import mnist as mnist_module

NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def idx_bytes(array):
    """The IDX encoding of a uint8 array: 0, 0, type 0x08, rank, big-endian dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def small_set(seed=0, n_train=5, n_test=3):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_train, dtype=np.uint8),
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_test, dtype=np.uint8))


def write_idx(directory, arrays, gz):
    for name, array in zip(NAMES, arrays):
        data = idx_bytes(array)
        if gz:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)


def write_npz(path, arrays):
    np.savez(path, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3])


def assert_loaded(result, arrays):
    (X_train, y_train), (X_test, y_test) = result
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64
    for got, want in zip((X_train, y_train, X_test, y_test), arrays):
        np.testing.assert_array_equal(got, want)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in tests")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.parametrize("gz", [False, True])
def test_loads_idx_files_plain_or_gzipped_from_a_directory(tmp_path, gz):
    arrays = small_set()
    write_idx(tmp_path, arrays, gz)
    assert_loaded(load_mnist(path=tmp_path), arrays)


def test_loads_keras_npz_from_a_file_path(tmp_path):
    arrays = small_set(1)
    write_npz(tmp_path / "mnist.npz", arrays)
    assert_loaded(load_mnist(path=tmp_path / "mnist.npz"), arrays)


def test_loads_from_the_cache_directory_under_the_kind(tmp_path):
    arrays = small_set(2)
    (tmp_path / "fashion-mnist").mkdir()
    write_idx(tmp_path / "fashion-mnist", arrays, gz=True)
    assert_loaded(load_mnist(cache_dir=tmp_path, kind="fashion"), arrays)


def test_the_cache_directory_comes_from_chainrule_data(tmp_path, monkeypatch):
    arrays = small_set(3)
    (tmp_path / "mnist").mkdir()
    write_npz(tmp_path / "mnist" / "mnist.npz", arrays)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    assert_loaded(load_mnist(), arrays)


def test_read_idx_rejects_a_bad_magic_number(tmp_path):
    (tmp_path / "f").write_bytes(b"\x01\x02\x08\x01" + b"\0" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "f")


def test_read_idx_rejects_a_truncated_file(tmp_path):
    data = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    (tmp_path / "f").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "f")


def test_read_idx_rejects_trailing_bytes(tmp_path):
    (tmp_path / "f").write_bytes(idx_bytes(np.zeros(3, np.uint8)) + b"\0")
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(tmp_path / "f")


def test_read_idx_rejects_the_wrong_number_of_dimensions(tmp_path):
    (tmp_path / "f").write_bytes(idx_bytes(np.zeros((2, 3), np.uint8)))
    with pytest.raises(ValueError, match="3 dimensions"):
        read_idx(tmp_path / "f", ndim=3)


def test_a_truncated_gzip_file_gets_a_clear_error(tmp_path):
    arrays = small_set()
    write_idx(tmp_path, arrays, gz=True)
    target = tmp_path / (NAMES[0] + ".gz")
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        load_mnist(path=tmp_path)


def test_images_and_labels_of_different_lengths_are_rejected(tmp_path):
    X, y, Xt, yt = small_set()
    write_idx(tmp_path, (X, y[:-1], Xt, yt), gz=False)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        load_mnist(path=tmp_path)


def test_a_truncated_npz_gets_a_clear_error(tmp_path):
    write_npz(tmp_path / "mnist.npz", small_set())
    raw = (tmp_path / "mnist.npz").read_bytes()
    (tmp_path / "mnist.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_mnist(path=tmp_path / "mnist.npz")


def test_an_npz_without_the_keras_keys_is_rejected(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="lacks the arrays"):
        load_mnist(path=tmp_path / "other.npz")


def test_an_npz_holding_pickled_objects_is_refused(tmp_path):
    X, y, Xt, yt = small_set()
    objects = np.array([{"x": 1}], dtype=object)
    np.savez(tmp_path / "mnist.npz", x_train=objects, y_train=y, x_test=Xt, y_test=yt)
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_mnist(path=tmp_path / "mnist.npz")


def test_without_network_the_error_says_what_to_put_where(tmp_path):
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=tmp_path)
    message = str(info.value)
    assert "downloading https://" in message and "failed" in message
    assert str(tmp_path / "mnist" / "mnist.npz") in message
    assert "train-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert list((tmp_path / "mnist").iterdir()) == []  # no partial file left behind


def test_without_network_fashion_names_its_four_files(tmp_path):
    with pytest.raises(DownloadError, match=r"Fashion-MNIST IDX files .*t10k-images-idx3"):
        load_mnist(cache_dir=tmp_path, kind="fashion")


def test_download_false_never_downloads_and_says_where_to_put_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=False.*mnist.npz"):
        load_mnist(cache_dir=tmp_path, download=False)


def _serve(monkeypatch, payload):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: io.BytesIO(payload))


def _pin(monkeypatch, payload):
    """Make the recorded checksum of mnist.npz the one of ``payload``."""
    name, url, _, _ = mnist_module._SOURCES["mnist"]["downloads"][0]
    pinned = [(name, url, "sha256", hashlib.sha256(payload).hexdigest())]
    monkeypatch.setitem(mnist_module._SOURCES["mnist"], "downloads", pinned)


def test_a_download_that_matches_its_checksum_is_saved_and_loaded(tmp_path, monkeypatch):
    arrays = small_set(4)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3])
    payload = buffer.getvalue()
    _pin(monkeypatch, payload)
    _serve(monkeypatch, payload)
    assert_loaded(load_mnist(cache_dir=tmp_path), arrays)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == ["mnist.npz"]


def test_a_download_with_the_wrong_checksum_is_discarded(tmp_path, monkeypatch):
    _serve(monkeypatch, b"not the real file")
    with pytest.raises(DownloadError, match="corrupt: its sha256"):
        load_mnist(cache_dir=tmp_path)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="kind"):
        load_mnist(kind="cifar")


# --- named errors for damaged or crafted files (issue 13) ---------------------------------------

def test_an_out_of_range_label_is_named_with_its_file_and_index(tmp_path):
    X, y, Xt, yt = small_set()
    y = y.copy()
    y[3] = 12
    write_idx(tmp_path, (X, y, Xt, yt), gz=False)
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.*label 12 at index 3 is out "
                                         r"of range"):
        load_mnist(path=tmp_path)


def test_a_huge_dimension_is_refused_before_anything_is_read(tmp_path):
    import tracemalloc

    from chainrule.io import CorruptFileError

    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 4_000_000_000, 28, 28)
    (tmp_path / "f").write_bytes(header + b"\0" * 100)
    tracemalloc.start()
    with pytest.raises(CorruptFileError, match="a huge dimension"):
        read_idx(tmp_path / "f")
    (tmp_path / "g").write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 60000, 28, 28))
    with pytest.raises(CorruptFileError, match="needs 47040016 bytes of data, the file has 16"):
        read_idx(tmp_path / "g")
    (tmp_path / "h.gz").write_bytes(gzip.compress(
        bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 60000, 28, 28)))
    with pytest.raises(CorruptFileError, match="cannot inflate that far"):
        read_idx(tmp_path / "h.gz")
    assert tracemalloc.get_traced_memory()[1] < 1_000_000
    tracemalloc.stop()


def test_train_and_test_images_of_different_sizes_are_named(tmp_path):
    X, y, Xt, yt = small_set()
    write_idx(tmp_path, (X, y, Xt[:, :20, :20], yt), gz=False)
    with pytest.raises(ValueError, match=r"training images are 28×28 but the test images are "
                                         r"20×20"):
        load_mnist(path=tmp_path)


def test_one_missing_file_is_named(tmp_path):
    write_idx(tmp_path, small_set(), gz=True)
    (tmp_path / (NAMES[3] + ".gz")).unlink()
    with pytest.raises(FileNotFoundError, match="it lacks t10k-labels-idx1-ubyte"):
        load_mnist(path=tmp_path, download=False)


def test_one_missing_file_is_named_when_the_download_fails_too(tmp_path):
    write_idx(tmp_path, small_set(), gz=False)
    (tmp_path / NAMES[0]).unlink()
    with pytest.raises(DownloadError, match="it lacks train-images-idx3-ubyte"):
        load_mnist(path=tmp_path)


def test_an_npz_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    import tracemalloc
    import zipfile

    X, y, Xt, yt = small_set()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (50_000_000, 28, 28)})
    with zipfile.ZipFile(tmp_path / "mnist.npz", "w") as z:  # CRCs right: only sizes lie
        z.writestr("x_train.npy", header.getvalue() + b"\0" * 100)
        for name, array in (("y_train", y), ("x_test", Xt), ("y_test", yt)):
            buffer = io.BytesIO()
            np.save(buffer, array)
            z.writestr(name + ".npy", buffer.getvalue())
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"x_train claims shape \(50000000, 28, 28\)"):
        load_mnist(path=tmp_path / "mnist.npz")
    assert tracemalloc.get_traced_memory()[1] < 1_000_000  # not the 39 GB it claims
    tracemalloc.stop()
