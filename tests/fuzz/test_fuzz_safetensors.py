"""safetensors, model files (architecture JSON) and checkpoints under mutation: generated files
round-trip exactly; mutated ones load the same data or raise CorruptFileError, within bounds."""

import hashlib
import json
import struct
from pathlib import Path

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

import chainrule as cr
from chainrule import nn
from chainrule.io import load_tensors, save_tensors
from chainrule.io.safetensors import _header_digest

DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]
SIZES = [pytest.param("default"), pytest.param("long", marks=pytest.mark.long)]
pytestmark = pytest.mark.usefixtures("fast_writes")


@pytest.fixture
def fast_writes(monkeypatch):
    no_fsync(monkeypatch)


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    n = int(np.prod(shape))
    raw = draw(st.binary(min_size=n * dtype.itemsize, max_size=n * dtype.itemsize))
    if dtype == np.bool_:
        return np.frombuffer(bytes(b & 1 for b in raw), np.bool_).reshape(shape)
    return np.frombuffer(raw, dtype).reshape(shape).copy()


def same(a, b):
    """Equal structure, types and bits (NaN payloads included)."""
    if isinstance(a, cr.Tensor):
        return isinstance(b, cr.Tensor) and same(a.array, b.array)
    if isinstance(a, (np.ndarray, np.generic)):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and np.asarray(a).tobytes() == np.asarray(b).tobytes())
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


def split_file(raw):
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def join_file(header, buffer):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + buffer


def edit_header(data, raw):
    """Change one thing the header says, then recompute both checksums: only the reader's own
    checks stand between the edit and the caller."""
    header, buffer = split_file(raw)
    meta = header.pop("__metadata__", {})
    names = list(header)
    target = data.draw(st.sampled_from(names)) if names else None
    what = data.draw(st.sampled_from(["shape", "dtype", "offsets", "drop", "add", "meta",
                                      "name"]))
    if target is not None and what == "shape":
        header[target]["shape"] = data.draw(st.lists(
            st.integers(-1, 2**64) | st.sampled_from([0, 1, 2**31, 2**62]), max_size=40))
    elif target is not None and what == "dtype":
        header[target]["dtype"] = data.draw(st.sampled_from(
            ["F32", "F64", "I8", "BF16", "U64", "BOOL", "F8", "", "f32"]))
    elif target is not None and what == "offsets":
        header[target]["data_offsets"] = data.draw(st.lists(
            st.integers(-1, 2**64), min_size=0, max_size=3))
    elif target is not None and what == "drop":
        del header[target]
    elif what == "add":
        header[data.draw(st.text(max_size=6))] = data.draw(json_value())
    elif what == "name" and target is not None:
        header[data.draw(st.text(max_size=6))] = header.pop(target)
    else:
        key = data.draw(st.sampled_from(sorted(meta) + ["format", "x"]))
        value = meta.get(key)
        if isinstance(value, str) and value.startswith(("{", "[")) and data.draw(st.booleans()):
            meta[key] = json.dumps(_mutate_json(data, json.loads(value)))
        else:
            meta[key] = data.draw(st.text(max_size=20) | st.sampled_from(
                ["chainrule.checkpoint/1", "chainrule.model/1", "[" * 5000 + "]" * 5000]))
    meta.pop("chainrule.sha256", None)
    meta.pop("chainrule.header_sha256", None)
    try:
        meta["chainrule.header_sha256"] = _header_digest(header, meta)
    except (TypeError, ValueError, RecursionError):
        pass  # an entry that cannot even be digested: leave the checksum out
    meta["chainrule.sha256"] = hashlib.sha256(buffer).hexdigest()
    header["__metadata__"] = meta
    return join_file(header, buffer)


def _mutate_json(data, value, depth=0):
    """Replace one node of a JSON tree by another value (maybe hostile)."""
    if depth < 6 and isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: _mutate_json(data, value[key], depth + 1)}
    if depth < 6 and isinstance(value, list) and value and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(value) - 1))
        return value[:i] + [_mutate_json(data, value[i], depth + 1)] + value[i + 1:]
    return data.draw(json_value() | st.sampled_from(
        [2**40, -1, 10**400, "V1000000000", "float64", {"tensor": "zz"}, {"float": "nan"}]))


def _check(reader, read, data, valid, other, compare):
    """Round-trip of ``valid`` (bytes), then one mutation of it."""
    path = write(f"{reader}.bin", valid)
    outcome, value = read_bounded(reader, read, path, count="round trips")
    assert outcome == "loaded", value
    original = value
    kind = data.draw(st.sampled_from(["bytes", "header"]))
    if kind == "bytes":
        kind, mutant = mutate_bytes(data, valid, other)
    else:
        mutant = edit_header(data, valid)
    outcome, value = read_bounded(reader, read, write(f"{reader}.bin", mutant))
    if outcome == "refused":
        TALLY[reader]["refused"] += 1
    elif compare(original, value):
        TALLY[reader]["same data"] += 1
    else:
        # only a header edit whose checksums were recomputed can make another valid file
        assert kind == "header", f"{kind} changed the data and was not refused"
        TALLY[reader]["another valid file"] += 1
    return original


@pytest.mark.parametrize("size", SIZES)
def test_fuzz_safetensors(request, size):
    def case(data):
        tensors = data.draw(st.dictionaries(st.text(min_size=1, max_size=8).filter(
            lambda s: s != "__metadata__"), arrays(), max_size=4))
        metadata = data.draw(st.dictionaries(st.text(max_size=6).filter(
            lambda s: not s.startswith("chainrule.")), st.text(max_size=10), max_size=2))
        path = write("valid.safetensors", b"")
        save_tensors(path, tensors, metadata)
        valid = Path(path).read_bytes()
        loaded = _check("safetensors", load_tensors, data, valid, valid[::-1],
                        lambda a, b: same(a[0], b[0]) and a[1] == b[1])
        assert same(loaded[0], tensors) and loaded[1] == metadata

    run_cases(cases_for(request), case)


@st.composite
def models(draw):
    layers, width = [], draw(st.integers(1, 5))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["Linear", "ReLU", "Tanh", "Dropout", "LeakyReLU"]))
        if kind == "Linear":
            out = draw(st.integers(1, 5))
            layers.append(nn.Linear(width, out, bias=draw(st.booleans())))
            width = out
        elif kind == "Dropout":
            layers.append(nn.Dropout(draw(st.floats(0, 0.9))))
        elif kind == "LeakyReLU":
            layers.append(nn.LeakyReLU(draw(st.floats(0, 1))))
        else:
            layers.append(getattr(nn, kind)())
    return nn.Sequential(*layers)


def _same_model(a, b):
    return repr(a) == repr(b) and same(dict(a.state_dict()), dict(b.state_dict()))


@pytest.mark.parametrize("size", SIZES)
def test_fuzz_model_files(request, size):
    def case(data):
        model = data.draw(models())
        path = write("model.safetensors", b"")
        cr.save(model, path)
        valid = Path(path).read_bytes()
        loaded = _check("model (architecture JSON)", cr.load, data, valid, valid[::-1],
                        lambda a, b: isinstance(b, nn.Module) and _same_model(a, b))
        assert _same_model(loaded, model)

    run_cases(cases_for(request), case)


def checkpoint_values():
    leaves = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
              | st.text(max_size=8) | arrays() | arrays().map(cr.Tensor)
              | st.sampled_from([np.float32(1.5), np.int64(-3), np.float64("nan")]))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.lists(inner, max_size=3).map(tuple)
                        | st.dictionaries(st.text(max_size=6) | st.integers(-5, 5), inner,
                                          max_size=3), max_leaves=10)


@pytest.mark.parametrize("size", SIZES)
def test_fuzz_checkpoints(request, size):
    def case(data):
        value = {"epoch": data.draw(st.integers(0, 100)), "state": data.draw(checkpoint_values())}
        path = write("ckpt.safetensors", b"")
        cr.save(value, path)
        valid = Path(path).read_bytes()
        loaded = _check("checkpoint", cr.load, data, valid, valid[::-1], same)
        assert same(loaded, value)

    run_cases(cases_for(request), case)
