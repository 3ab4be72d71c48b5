"""Frame packing and JSON: what the page reads, with no NaN for JSON.parse to choke on."""

import json
import struct

import numpy as np
import pytest

from chainrule.playground.protocol import dumps, finite, pack_frame, unpack_frame
from chainrule.playground.session import Session


def test_a_frame_is_length_header_padding_and_float32_buffers():
    buffers = {"output": np.arange(6, dtype=np.float64), "node:1:0": np.array([1.5, -2.0])}
    payload = pack_frame({"frame": 3, "epoch": 7}, buffers)
    (length,) = struct.unpack_from("<I", payload)
    header = json.loads(payload[4:4 + length])
    start = 4 + length + (-(4 + length) % 4)
    assert start % 4 == 0 and payload[4 + length:start] == b"\0" * (start - 4 - length)
    assert header["type"] == "frame" and header["frame"] == 3
    assert header["buffers"] == [{"name": "output", "offset": 0, "length": 6},
                                 {"name": "node:1:0", "offset": 6, "length": 2}]
    values = np.frombuffer(payload[start:], "<f4")
    np.testing.assert_array_equal(values, [0, 1, 2, 3, 4, 5, 1.5, -2.0])
    assert len(payload) == start + 8 * 4


@pytest.mark.parametrize("name_length", range(4))
def test_padding_keeps_the_floats_aligned_whatever_the_header_length(name_length):
    payload = pack_frame({"pad": "x" * name_length}, {"output": np.ones(3, np.float32)})
    header, buffers = unpack_frame(payload)
    assert header["pad"] == "x" * name_length and buffers["output"].tolist() == [1, 1, 1]


def test_non_finite_numbers_become_null_in_json():
    message = {"loss": float("nan"), "w": [[1.0, float("inf")], [np.float64(-np.inf), 2.0]],
               "n": 3, "ok": None}
    text = dumps(message)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"loss": None, "w": [[1.0, None], [None, 2.0]], "n": 3,
                                "ok": None}
    assert finite(np.float32(1.5)) == 1.5


def test_a_diverged_sessions_frame_is_strict_json():
    s = Session({"numSamples": 100, "gridSize": 10})
    for m in s.linears:
        m.weight.array[...] = np.nan
    payload = pack_frame({**s.frame_header(), "frame": 1, "playing": False}, s.grid())
    (length,) = struct.unpack_from("<I", payload)

    def refuse(name):
        raise AssertionError(name)

    header = json.loads(payload[4:4 + length], parse_constant=refuse)
    assert header["trainLoss"] is None and header["network"]["weights"][0][0][0] is None


def test_the_session_frame_has_every_field_of_the_contract():
    s = Session({"numSamples": 100, "gridSize": 10})
    header, buffers = unpack_frame(pack_frame({**s.frame_header(), "frame": 1,
                                               "playing": False}, s.grid()))
    for key in ("type", "frame", "epoch", "playing", "trainLoss", "testLoss", "trainAccuracy",
                "testAccuracy", "lr", "confusion", "network", "diagnostics", "grid", "buffers"):
        assert key in header, key
    assert set(header["network"]) >= {"features", "sizes", "activations", "weights", "biases"}
    assert set(header["diagnostics"]) == {"gradNorms", "dead", "saturated"}
    assert header["grid"] == {"size": 10, "extent": [-6.0, 6.0]}
    assert all(b.dtype == np.float32 and b.size == 100 for b in buffers.values())
