"""The MNIST download for real, over HTTP, from a server on 127.0.0.1 in a thread: a good file is
checked and saved, a corrupted or truncated one is refused and leaves nothing behind."""

import hashlib
import http.server
import io
import threading

import numpy as np
import pytest

from chainrule.data import DownloadError, load_mnist
from chainrule.data import mnist as mnist_module


def keras_npz(seed=0):
    rng = np.random.default_rng(seed)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 2, dtype=np.uint8)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue(), arrays


GOOD, ARRAYS = keras_npz()


class Handler(http.server.BaseHTTPRequestHandler):
    """/good: the file; /corrupt: as long, one byte changed; /truncated: announces the whole
    length, sends half and hangs up; anything else: 404."""

    requests = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Handler.requests.append(self.path)
        if self.path == "/good":
            body, announced = GOOD, len(GOOD)
        elif self.path == "/corrupt":
            body = bytearray(GOOD)
            body[len(body) // 2] ^= 0xFF
            body, announced = bytes(body), len(GOOD)
        elif self.path == "/truncated":
            body, announced = GOOD[: len(GOOD) // 2], len(GOOD)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def source(monkeypatch, url):
    """Download mnist.npz from ``url``, pinned to the good file's SHA-256."""
    pinned = [("mnist.npz", url, "sha256", hashlib.sha256(GOOD).hexdigest())]
    monkeypatch.setitem(mnist_module._SOURCES["mnist"], "downloads", pinned)


def test_a_good_download_is_checked_saved_and_loaded(server, tmp_path, monkeypatch, capsys):
    source(monkeypatch, server + "/good")
    (X, y), (X_test, y_test) = load_mnist(cache_dir=tmp_path)
    np.testing.assert_array_equal(X, ARRAYS["x_train"])
    np.testing.assert_array_equal(y_test, ARRAYS["y_test"])
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == ["mnist.npz"]
    assert (tmp_path / "mnist" / "mnist.npz").read_bytes() == GOOD
    kib = len(GOOD) // 1024
    assert f"Downloading mnist.npz (KiB)  {kib}/{kib} [{'=' * 30}]" in capsys.readouterr().err


def test_the_second_load_reads_the_saved_file_without_downloading(server, tmp_path,
                                                                  monkeypatch):
    source(monkeypatch, server + "/good")
    load_mnist(cache_dir=tmp_path)
    before = len(Handler.requests)
    load_mnist(cache_dir=tmp_path)
    assert len(Handler.requests) == before


def test_a_corrupted_download_is_refused_and_nothing_is_saved(server, tmp_path, monkeypatch):
    source(monkeypatch, server + "/corrupt")
    with pytest.raises(DownloadError, match=r"/corrupt is corrupt: its sha256 is"):
        load_mnist(cache_dir=tmp_path)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_a_truncated_download_is_refused_and_nothing_is_saved(server, tmp_path, monkeypatch):
    source(monkeypatch, server + "/truncated")
    half = len(GOOD) // 2
    with pytest.raises(DownloadError, match=rf"was cut short: {half} of {len(GOOD)} bytes"):
        load_mnist(cache_dir=tmp_path)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_a_missing_file_on_the_server_names_the_url_and_where_to_put_the_files(
        server, tmp_path, monkeypatch):
    source(monkeypatch, server + "/gone")
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=tmp_path)
    message = str(info.value)
    assert f"downloading {server}/gone failed (HTTP Error 404" in message
    assert str(tmp_path / "mnist" / "mnist.npz") in message
    assert "train-images-idx3-ubyte.gz" in message
    assert "--dataset mnist5k" in message
