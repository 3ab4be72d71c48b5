"""IDX (MNIST), CSV (chainrule predict) and run.json under mutation: generated files load back
exactly; mutated ones load as files of their format or raise CorruptFileError, within bounds.
These formats carry no checksum, so a changed value can load as another valid file; what is
checked then is that the result is what the format allows (shape, finiteness, types)."""

import gzip
import json
import math
import os
import struct

import numpy as np
import pytest
from fuzzing import (
    TALLY,
    cases_for,
    json_value,
    mutate_bytes,
    no_fsync,
    read_bounded,
    run_cases,
    write,
)
from hypothesis import strategies as st

from chainrule.data.mnist import read_idx
from chainrule.io import read_rows
from chainrule.train.run import read_run_json

SIZES = [pytest.param("default"), pytest.param("long", marks=pytest.mark.long)]
IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@pytest.fixture(autouse=True)
def fast_writes(monkeypatch):
    no_fsync(monkeypatch)


def _outcome(reader, outcome, value, original, same):
    if outcome == "refused":
        TALLY[reader]["refused"] += 1
    elif same(original, value):
        TALLY[reader]["same data"] += 1
    else:
        TALLY[reader]["another valid file"] += 1


def _idx_bytes(array, code):
    return (bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            + array.astype(IDX_TYPES[code]).tobytes())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("gz", [False, True])
def test_fuzz_idx(request, size, gz):
    reader = "IDX (gzip)" if gz else "IDX"

    def case(data):
        code = data.draw(st.sampled_from(sorted(IDX_TYPES)))
        shape = tuple(data.draw(st.lists(st.integers(0, 6), min_size=1, max_size=3)))
        n = math.prod(shape)
        dtype = np.dtype(IDX_TYPES[code])
        raw = data.draw(st.binary(min_size=n * dtype.itemsize, max_size=n * dtype.itemsize))
        array = np.frombuffer(raw, dtype).reshape(shape)
        valid = _idx_bytes(array, code)
        pack = gzip.compress if gz else (lambda b: b)
        path = write("f.idx", pack(valid))
        outcome, loaded = read_bounded(reader, read_idx, path, count="round trips")
        assert outcome == "loaded", loaded
        assert loaded.tobytes() == array.astype(dtype.newbyteorder("=")).tobytes()
        if data.draw(st.booleans(), label="edit the header"):
            header = bytearray(valid[:4 + 4 * len(shape)])
            i = data.draw(st.integers(2, len(header) - 1))
            header[i] = data.draw(st.integers(0, 255))
            mutant = bytes(header) + valid[len(header):]
        else:
            _, mutant = mutate_bytes(data, valid, valid[::-1])
        # gzip: the mutation is of the content, recompressed (its CRC recomputed) — or, half
        # the time, of the compressed bytes themselves
        if gz and data.draw(st.booleans(), label="mutate compressed"):
            _, blob = mutate_bytes(data, gzip.compress(valid), valid)
        else:
            blob = pack(mutant)
        outcome, value = read_bounded(reader, read_idx, write("f.idx", blob))
        if outcome == "loaded":
            assert isinstance(value, np.ndarray) and value.dtype.isnative
            assert value.nbytes <= len(mutant) + len(valid)  # never more than the file held
        _outcome(reader, outcome, value, loaded,
                 lambda a, b: a.shape == b.shape and a.tobytes() == b.tobytes())

    run_cases(cases_for(request), case)


@pytest.mark.parametrize("size", SIZES)
def test_fuzz_csv_rows(request, size):
    def case(data):
        width = data.draw(st.integers(1, 4))
        value = st.floats(-1e30, 1e30).map(lambda v: float(np.float32(v)))
        rows = data.draw(st.lists(st.lists(value, min_size=width, max_size=width), min_size=1,
                                  max_size=6))
        header = data.draw(st.booleans())
        lines = ([",".join(f"c{i}" for i in range(width))] if header else []) + [
            ",".join(repr(v) for v in row) for row in rows]
        valid = ("\n".join(lines) + "\n").encode()
        path = write("x.csv", valid)
        outcome, (X, skipped) = read_bounded("CSV", lambda p: read_rows(p, width), path,
                                             count="round trips")
        assert outcome == "loaded" and not skipped
        np.testing.assert_array_equal(X, np.array(rows, np.float32))
        kind = data.draw(st.sampled_from(["bytes", "text"]))
        if kind == "bytes":
            _, mutant = mutate_bytes(data, valid, b"nan,inf,-inf,1e39,,x\n\r\x00")
        else:  # a hostile value put in a field
            fields = valid.decode().split(",")
            i = data.draw(st.integers(0, len(fields) - 1))
            fields[i] = data.draw(st.sampled_from(["nan", "inf", "-1e39", "", "1" * 5000,
                                                   "0x10", "1_000", " 2 ", "\n"]))
            mutant = ",".join(fields).encode()
        skip = data.draw(st.booleans())
        outcome, value = read_bounded("CSV", lambda p: read_rows(p, width, skip),
                                      write("x.csv", mutant))
        if outcome == "loaded":
            Xm, skipped = value
            assert Xm.dtype == np.float32 and Xm.ndim == 2 and Xm.shape[1] == width
            assert np.isfinite(Xm).all() and len(Xm) >= 1
            assert skip or not skipped
        _outcome("CSV", outcome, value, (X, []),
                 lambda a, b: not b[1] and a[0].tobytes() == b[0].tobytes())

    run_cases(cases_for(request), case)


@pytest.mark.parametrize("size", SIZES)
def test_fuzz_run_json(request, size, tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("run"))

    def case(data):
        shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
        n = math.prod(shape)
        info = {"status": data.draw(st.sampled_from(["finished", "diverged"])),
                "dataset": "digits", "task": data.draw(st.sampled_from(
                    ["binary", "multiclass", "regression"])), "n_classes": 3,
                "loss": "CrossEntropyLoss", "output": "logits", "input_shape": shape,
                "samples": 10, "noise": 0.0, "seed": 0, "val_split": 0.2,
                "scaler": {"mean": [0.5] * n, "std": [1.0] * n}}
        valid = json.dumps(info, indent=1).encode()
        path = os.path.join(run_dir, "run.json")
        with open(path, "wb") as f:
            f.write(valid)
        outcome, loaded = read_bounded("run.json", lambda p: read_run_json(run_dir), path,
                                       count="round trips")
        assert outcome == "loaded" and loaded == info
        if data.draw(st.booleans(), label="edit a field"):
            key = data.draw(st.sampled_from(sorted(info)))
            edited = dict(info, **{key: data.draw(json_value() | st.sampled_from(
                [[2**40] * 2, [0], "[" * 3000, {"mean": [1] * 10**4, "std": None}]))})
            mutant = json.dumps(edited).encode()
            if data.draw(st.booleans()):
                mutant = b"[" * 100_000 + b"]" * 100_000  # deep nesting
        else:
            _, mutant = mutate_bytes(data, valid, valid[::-1])
        with open(path, "wb") as f:
            f.write(mutant)
        outcome, value = read_bounded("run.json", lambda p: read_run_json(run_dir), path)
        if outcome == "loaded":
            assert math.prod(value["input_shape"]) == len(value["scaler"]["mean"])
        _outcome("run.json", outcome, value, info, lambda a, b: a == b)

    run_cases(cases_for(request), case)
