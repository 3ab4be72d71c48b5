"""Packing the playground's messages (docs/playground-protocol.md), with no web code.

Text messages are JSON that a browser's ``JSON.parse`` accepts: a non-finite number becomes
``null``. A frame is one binary message: a 4-byte little-endian header length, the JSON header,
zero padding to a multiple of 4, then the grid buffers as raw little-endian float32 — JSON
numbers were 30–100x slower to encode here, and PNGs would lose the values.
"""

import json
import math
import struct

import numpy as np


def finite(value):
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        return finite(value.item())
    return value


def dumps(message):
    """JSON text with no NaN or Infinity (they become null)."""
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite number somewhere: rare, so only then walk the message
        return json.dumps(finite(message), allow_nan=False, separators=(",", ":"))


def pack_frame(header, buffers):
    """One binary frame: ``header`` (a dict) gets a ``buffers`` list saying where each
    float32 array of ``buffers`` ({name: array}) lies in the data that follows, in values."""
    offsets, offset = [], 0
    for name, array in buffers.items():
        offsets.append({"name": name, "offset": offset, "length": int(array.size)})
        offset += int(array.size)
    head = dumps({"type": "frame", **header, "buffers": offsets}).encode("utf-8")
    padding = -(4 + len(head)) % 4
    parts = [struct.pack("<I", len(head)), head, b"\0" * padding]
    parts += [np.ascontiguousarray(a, dtype="<f4").tobytes() for a in buffers.values()]
    return b"".join(parts)


def unpack_frame(payload):
    """(header, {name: float32 array}) from a frame's bytes: the page's reading, for tests."""
    (length,) = struct.unpack_from("<I", payload, 0)
    header = json.loads(payload[4:4 + length].decode("utf-8"))
    start = 4 + length + (-(4 + length) % 4)
    values = np.frombuffer(payload, dtype="<f4", offset=start)
    return header, {b["name"]: values[b["offset"]:b["offset"] + b["length"]]
                    for b in header["buffers"]}
