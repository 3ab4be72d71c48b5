"""Atomic writes: a file is either the old version or the complete new one, never half of each.

The new content goes to a temporary file in the same directory (so ``os.replace`` is a rename
on one filesystem, which POSIX and Windows both make atomic), is flushed and fsynced so a crash
right after the rename cannot leave an empty file, and only then replaces the target. If
anything fails before that, the temporary file is removed and the target is untouched.
"""

import contextlib
import os
import re
import uuid

from .. import crashpoints

# The temporary files atomic_write makes: ".NAME.<12 hex>.tmp". A process killed mid-write leaves
# one behind (nothing can remove it then); chainrule train removes them from its run directory.
TEMP_FILE = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file for writing; on clean exit it atomically becomes ``path``.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text, UTF-8 unless ``encoding`` says otherwise).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write: mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist")
    fd, tmp = _create_temp(directory, os.path.basename(path))
    try:
        if mode == "w":
            f = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")
        else:
            f = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if crashpoints.ENABLED:  # the crash tests kill the process here
            crashpoints.reached(f"write {os.path.basename(path)}")
        os.replace(tmp, path)
    except BaseException:
        # BaseException too: a Ctrl-C mid-write must not leave a stray temp file behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def atomic_write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path, mode="w", encoding=encoding) as f:
        f.write(text)


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, mode="wb") as f:
        f.write(data)


def _create_temp(directory, name):
    # Not tempfile.mkstemp: it creates files with mode 0600, and a saved model should get the
    # same permissions (0666 minus the umask) as any other file the user writes.
    while True:
        tmp = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                           0o666), tmp
        except FileExistsError:
            continue


def _fsync_directory(directory):
    # Makes the rename itself durable on POSIX; directories cannot be opened on Windows.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
