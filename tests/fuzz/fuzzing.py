"""What every reader's fuzz test shares: mutations of a file's bytes, and the check that a
reader either loads a file or refuses it by name, within time and memory bounds."""

import collections
import os
import tempfile
import time
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.io import CorruptFileError

DEFAULT_CASES = 250  # per reader in the default suite
LONG_CASES = 3000  # per reader with pytest -m long
# A reader may take this multiple of the file's size (plus a fixed allowance for Python's own
# objects) at its peak; the numbers measured are far lower (docs/reliability.md).
MEMORY_FACTOR = 32
MEMORY_ALLOWANCE = 512 * 1024
SECONDS = 1.0

WORKDIR = tempfile.mkdtemp(prefix="chainrule-fuzz-")
TALLY = collections.defaultdict(collections.Counter)  # reader -> cases and how they ended


def run_cases(n, case):
    """Run ``case(data)`` for ``n`` Hypothesis-drawn cases."""
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        case(data)

    run()


def no_fsync(monkeypatch):
    """Generated files need not reach the disk: fsync per case would be most of the time."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def cases_for(request):
    return LONG_CASES if request.node.get_closest_marker("long") else DEFAULT_CASES


def write(name, content):
    path = os.path.join(WORKDIR, name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def read_bounded(reader_name, read, path, refused=(CorruptFileError,), count="cases"):
    """``read(path)``: returns ("loaded", value) or ("refused", error); anything else raised,
    a peak allocation past the bound or a read taking more than ``SECONDS`` of CPU fails the
    test (CPU time of this thread: on a shared machine, wall time measures the neighbours)."""
    size = os.path.getsize(path)
    tracemalloc.start()
    started = time.thread_time()
    try:
        value = read(path)
        outcome = ("loaded", value)
    except refused as e:
        outcome = ("refused", e)
    finally:
        elapsed = time.thread_time() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    limit = MEMORY_FACTOR * size + MEMORY_ALLOWANCE
    assert peak <= limit, f"{reader_name}: {peak} bytes at peak for a {size}-byte file"
    assert elapsed < SECONDS, f"{reader_name}: {elapsed:.2f} s of CPU for a {size}-byte file"
    TALLY[reader_name][count] += 1
    TALLY[reader_name]["peak_max_bytes"] = max(TALLY[reader_name]["peak_max_bytes"], peak)
    return outcome


def mutate_bytes(data, raw, other):
    """``raw`` truncated, bit-flipped, spliced with ``other`` or with random bytes inserted."""
    kind = data.draw(st.sampled_from(["truncate", "flip", "splice", "insert"]), label="mutation")
    if kind == "truncate" or not raw:
        return kind, raw[:data.draw(st.integers(0, max(len(raw) - 1, 0)))]
    if kind == "flip":
        out = bytearray(raw)
        for _ in range(data.draw(st.integers(1, 3))):
            i = data.draw(st.integers(0, len(raw) - 1))
            out[i] ^= 1 << data.draw(st.integers(0, 7))
        return kind, bytes(out)
    if kind == "splice":
        i = data.draw(st.integers(0, len(raw)))
        j = data.draw(st.integers(i, len(raw)))
        k = data.draw(st.integers(0, len(other)))
        piece = other[k:k + data.draw(st.integers(0, 64))]
        return kind, raw[:i] + piece + raw[j:]
    i = data.draw(st.integers(0, len(raw)))
    return kind, raw[:i] + data.draw(st.binary(min_size=1, max_size=16)) + raw[i:]


def json_value(max_leaves=8):
    """Any JSON value, including the hostile ones: huge numbers, long strings, deep lists."""
    leaves = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
              | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=max_leaves)
