import os

import pytest

from chainrule.io import atomic_write, atomic_write_bytes, atomic_write_text


def test_atomic_write_creates_the_file_with_what_was_written(tmp_path):
    path = tmp_path / "out.bin"
    with atomic_write(path) as f:
        f.write(b"\x00\x01hello")
    assert path.read_bytes() == b"\x00\x01hello"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_text_mode_writes_utf8_without_newline_translation(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "épreuve\nline 2\r\n")
    assert path.read_bytes() == "épreuve\nline 2\r\n".encode()


def test_atomic_write_bytes_replaces_an_existing_file(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old content, longer than the new one")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"


def test_nothing_is_visible_at_the_target_until_the_block_ends(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with atomic_write(path) as f:
        f.write(b"new")
        f.flush()
        assert path.read_bytes() == b"old"
    assert path.read_bytes() == b"new"


def test_an_exception_inside_the_block_keeps_the_old_file_and_removes_the_temp_file(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"previous version")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(path) as f:
            f.write(b"half of the new ver")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"previous version"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_keyboard_interrupt_also_removes_the_temp_file(tmp_path):
    path = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path) as f:
            f.write(b"partial")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_a_failing_fsync_keeps_the_old_file_and_removes_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "out.bin"
    path.write_bytes(b"previous version")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"previous version"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_the_temp_file_is_created_in_the_target_directory(tmp_path):
    # Same directory => same filesystem => os.replace is an atomic rename.
    path = tmp_path / "out.bin"
    with atomic_write(path):
        seen = os.listdir(tmp_path)
    assert len(seen) == 1 and seen[0] != "out.bin"


def test_new_files_get_the_usual_permissions_not_private_temp_file_ones(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = tmp_path / "out.bin"
    atomic_write_bytes(path, b"x")
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_a_missing_directory_is_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "nope" / "out.bin", b"x")


def test_an_unsupported_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mode must be"):
        with atomic_write(tmp_path / "out.bin", mode="ab"):
            pass
