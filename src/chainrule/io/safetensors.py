"""The safetensors file format, read and written with NumPy alone (no pickle, no extra package).

A file is three parts::

    8 bytes   N, the header length, unsigned 64-bit little-endian
    N bytes   a UTF-8 JSON object:
              {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
               "__metadata__": {"key": "value", ...}}       (optional, strings only)
    the rest  the byte buffer: every tensor's elements, little-endian, C order, back to back;
              data_offsets are relative to the buffer's first byte, end is one past the last.

Files written here also carry two SHA-256 digests in ``__metadata__``: ``chainrule.sha256`` of
the byte buffer (``tail -c +$((9 + N)) file | sha256sum`` reproduces it) and
``chainrule.header_sha256`` of the tensor table and the other metadata. ``load_tensors`` checks
them when present, so a flipped bit anywhere is refused. They detect accidental corruption, not a
deliberate forger, who can rewrite them; to trust a file from elsewhere, compare the digest of
the whole file with one obtained separately.
"""

import hashlib
import json
import os
import struct

import numpy as np

from .atomic import atomic_write
from .errors import CorruptFileError  # noqa: F401  (re-exported: its historical home)

# name in the file -> NumPy dtype (little-endian). BF16 has no NumPy dtype; see _widen_bf16.
DTYPES = {
    "BOOL": np.dtype("|b1"),
    "U8": np.dtype("|u1"),
    "I8": np.dtype("|i1"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
}
_NAMES = {dtype.newbyteorder("="): name for name, dtype in DTYPES.items() if name != "BF16"}

SHA256_KEY = "chainrule.sha256"
HEADER_SHA256_KEY = "chainrule.header_sha256"
_RESERVED_KEYS = (SHA256_KEY, HEADER_SHA256_KEY)

# The reference implementation refuses headers over 100 MB; parsed JSON takes up to some 30
# times its text in memory, so chainrule stops at 16 MiB. Real headers are kilobytes: a tensor
# costs about 100 bytes of header, a checkpoint's structure a few bytes per value.
MAX_HEADER_BYTES = 16 * 1024 * 1024
# No real tensor has more dimensions (NumPy allows 64) or more elements (2**48 elements is a
# petabyte); a claimed shape past these is an attack or damage even when it holds zero bytes.
MAX_DIMS = 32
MAX_ELEMENTS = 2**48


def save_tensors(path, tensors, metadata=None):
    """Write ``{name: array}`` and ``{key: value}`` string metadata to ``path`` atomically."""
    arrays = _check_tensors(tensors)
    metadata = _check_metadata(metadata)

    # Widest elements first, so that with the header padded to a multiple of 8 every tensor
    # starts at a multiple of its item size and can be viewed in place on load.
    layout = sorted(arrays, key=lambda name: -arrays[name].dtype.itemsize)
    offsets, position = {}, 0
    for name in layout:
        offsets[name] = (position, position + arrays[name].nbytes)
        position += arrays[name].nbytes

    table = {
        name: {"dtype": _NAMES[array.dtype.newbyteorder("=")], "shape": list(array.shape),
               "data_offsets": list(offsets[name])}
        for name, array in arrays.items()  # the caller's order, so load returns the same order
    }
    data_digest = hashlib.sha256()
    for name in layout:
        data_digest.update(_raw(arrays[name]))
    metadata[HEADER_SHA256_KEY] = _header_digest(table, metadata)
    metadata[SHA256_KEY] = data_digest.hexdigest()

    header = json.dumps({**table, "__metadata__": metadata}, separators=(",", ":"),
                        ensure_ascii=False).encode("utf-8")
    header += b" " * (-len(header) % 8)
    with atomic_write(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for name in layout:
            f.write(_raw(arrays[name]))


def load_tensors(path):
    """Read a safetensors file; returns ``(tensors, metadata)``, both dicts in header order.

    Every structural rule of the format is checked and any violation raises
    ``CorruptFileError``. The chainrule checksums are verified when present and are not
    included in the returned metadata.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise CorruptFileError(path, f"the file is {size} bytes long, shorter than the "
                                         "8-byte header length")
        (header_len,) = struct.unpack("<Q", f.read(8))
        if header_len > size - 8:
            raise CorruptFileError(path, f"the header length is {header_len} bytes but only "
                                         f"{size - 8} bytes follow it (truncated file?)")
        if header_len > MAX_HEADER_BYTES:
            raise CorruptFileError(path, f"the header length {header_len} exceeds the "
                                         f"{MAX_HEADER_BYTES}-byte limit")
        table, metadata = _parse_header(path, f.read(header_len))
        buffer = np.empty(size - 8 - header_len, dtype=np.uint8)
        if f.readinto(buffer) != buffer.size:
            raise CorruptFileError(path, "the file changed size while it was being read")

    _check_layout(path, table, buffer.size)
    missing = [k for k in _RESERVED_KEYS if k not in metadata]
    if missing and any("chainrule" in k or "chainrule" in v or _near_reserved(k)
                       for k, v in metadata.items()):
        # Written by chainrule, so both checksums were there: a damaged key name must not
        # switch the check off (the fuzz tests found two bit flips that did).
        raise CorruptFileError(path, f"a chainrule file without its {', '.join(missing)} "
                                     "checksum (the header was damaged or altered)")
    if SHA256_KEY in metadata and hashlib.sha256(buffer).hexdigest() != metadata[SHA256_KEY]:
        raise CorruptFileError(path, "the tensor data does not match its SHA-256 checksum "
                                     "(the file was altered or damaged after it was saved)")
    if HEADER_SHA256_KEY in metadata and \
            _header_digest(table, metadata) != metadata[HEADER_SHA256_KEY]:
        raise CorruptFileError(path, "the header does not match its SHA-256 checksum "
                                     "(tensor names, dtypes, shapes or metadata were altered)")

    tensors = {name: _view(path, name, info, buffer) for name, info in table.items()}
    metadata = {k: v for k, v in metadata.items() if k not in _RESERVED_KEYS}
    return tensors, metadata


# --- saving ----------------------------------------------------------------------------------

def _check_tensors(tensors):
    if not isinstance(tensors, dict):
        raise TypeError(f"save_tensors: tensors must be a dict of name -> array, "
                        f"got {type(tensors).__name__}")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save_tensors: tensor names must be non-empty strings, got {name!r}")
        if name == "__metadata__":
            raise ValueError("save_tensors: '__metadata__' is reserved by the format and "
                             "cannot name a tensor")
        array = np.asarray(value)
        native = array.dtype.newbyteorder("=")
        if native not in _NAMES:
            supported = ", ".join(str(d) for d in _NAMES)
            raise TypeError(f"save_tensors: tensor {name!r} has dtype {array.dtype}, which "
                            f"safetensors cannot store (supported: {supported})")
        # The format is little-endian and C-ordered with no strides. (Not ascontiguousarray:
        # it turns a 0-d array into shape (1,).)
        arrays[name] = array.astype(DTYPES[_NAMES[native]], order="C", copy=False)
    return arrays


def _check_metadata(metadata):
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise TypeError(f"save_tensors: metadata must be a dict of str -> str, "
                        f"got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"save_tensors: metadata must map str -> str (the format allows "
                            f"nothing else), got {key!r}: {type(value).__name__}")
        if key in _RESERVED_KEYS:
            raise ValueError(f"save_tensors: metadata key {key!r} is reserved for the checksum")
    return dict(metadata)


def _raw(array):
    # reshape(-1) of a contiguous array is a view; a 0-d array has no flat buffer of its own.
    return memoryview(array.reshape(-1)).cast("B")


def _near_reserved(key):
    """A key a few flipped characters away from a checksum key's name: a damaged checksum key
    (the fuzz tests flipped "chainrule" to "bhainrule" in both keys at once)."""
    return any(len(key) == len(name) and sum(a != b for a, b in zip(key, name)) <= 3
               for name in _RESERVED_KEYS)


def _header_digest(table, metadata):
    # Computed from the parsed values, so it ignores JSON whitespace and key order but catches
    # any change in what the header means.
    canonical = {"tensors": table,
                 "metadata": {k: v for k, v in metadata.items() if k not in _RESERVED_KEYS}}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --- loading ---------------------------------------------------------------------------------

def _parse_header(path, raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorruptFileError(path, f"the header is not UTF-8 text ({e.reason} at byte "
                                     f"{e.start})") from None
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                            parse_constant=_no_constant)
    except RecursionError:
        raise CorruptFileError(path, "the header's JSON is nested too deeply") from None
    except ValueError as e:  # JSONDecodeError, a duplicate key, an integer of 5,000 digits
        raise CorruptFileError(path, f"the header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise CorruptFileError(path, f"the header must be a JSON object, "
                                     f"got a JSON {type(header).__name__}")

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise CorruptFileError(path, "__metadata__ must be an object mapping strings to strings")
    table = {name: _check_entry(path, name, info) for name, info in header.items()}
    return table, metadata


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    # The format forbids duplicate names; json.loads would silently keep the last one.
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name):
    raise json.JSONDecodeError(f"{name} is not allowed", name, 0)


_MAX_DIM = np.iinfo(np.intp).max


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _check_entry(path, name, info):
    if not isinstance(info, dict):
        raise CorruptFileError(path, f"tensor {name!r}: expected an object with dtype, shape "
                                     f"and data_offsets, got {_short(info)}")
    missing = [k for k in ("dtype", "shape", "data_offsets") if k not in info]
    if missing:
        raise CorruptFileError(path, f"tensor {name!r} is missing {', '.join(missing)}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in DTYPES:
        raise CorruptFileError(path, f"tensor {name!r} has unknown or unsupported dtype "
                                     f"{_short(dtype)} (supported: {', '.join(DTYPES)})")
    if not isinstance(shape, list) or not all(_is_int(d) and 0 <= d <= _MAX_DIM for d in shape):
        raise CorruptFileError(path, f"tensor {name!r}: shape must be a list of non-negative "
                                     f"integers, got {_short(shape)}")
    if len(shape) > MAX_DIMS:
        raise CorruptFileError(path, f"tensor {name!r} claims {len(shape)} dimensions; at most "
                                     f"{MAX_DIMS} are accepted")
    elements = 1
    for d in shape:
        elements *= max(d, 1)  # zero-sized dims too: [0, 2**62] is no real tensor either
    if elements > MAX_ELEMENTS:
        raise CorruptFileError(path, f"tensor {name!r} claims shape {shape}, more than "
                                     f"{MAX_ELEMENTS} elements")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(_is_int(o) and o >= 0 for o in offsets) and offsets[0] <= offsets[1]):
        raise CorruptFileError(path, f"tensor {name!r}: data_offsets must be [begin, end] with "
                                     f"0 <= begin <= end, got {_short(offsets)}")
    nbytes = DTYPES[dtype].itemsize
    for d in shape:  # Python ints: no overflow however large the claimed shape
        nbytes *= d
    if nbytes != offsets[1] - offsets[0]:
        raise CorruptFileError(path, f"tensor {name!r}: shape {shape} of {dtype} needs "
                                     f"{nbytes} bytes but data_offsets {offsets} span "
                                     f"{offsets[1] - offsets[0]}")
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


def _short(value, limit=80):
    # A hostile header can hold megabytes where a shape should be; the message quotes a little.
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _check_layout(path, table, buffer_size):
    """The tensors must tile the buffer exactly: no gap, no overlap, nothing left over."""
    position, previous = 0, None
    for name, info in sorted(table.items(), key=lambda item: tuple(item[1]["data_offsets"])):
        begin, end = info["data_offsets"]
        if end > buffer_size:
            raise CorruptFileError(path, f"tensor {name!r}: data_offsets {[begin, end]} run past "
                                         f"the end of the {buffer_size}-byte data buffer")
        if begin < position:
            raise CorruptFileError(path, f"tensor {name!r}: data_offsets {[begin, end]} overlap "
                                         f"tensor {previous!r}, which ends at {position}")
        if begin > position:
            raise CorruptFileError(path, f"bytes {position}..{begin} of the data buffer belong "
                                         f"to no tensor (before {name!r})")
        position, previous = end, name
    if position != buffer_size:
        raise CorruptFileError(path, f"{buffer_size - position} bytes of trailing data after "
                                     f"the last tensor")


def _view(path, name, info, buffer):
    begin, end = info["data_offsets"]
    dtype = DTYPES[info["dtype"]]
    raw = buffer[begin:end]
    if info["dtype"] == "BOOL" and raw.size and raw.max() > 1:
        raise CorruptFileError(path, f"tensor {name!r}: BOOL data holds bytes other than 0 and 1")
    if begin % dtype.itemsize:
        raw = raw.copy()  # a file from elsewhere may not align tensors; NumPy wants them aligned
    array = raw.view(dtype).reshape(info["shape"])
    if info["dtype"] == "BF16":
        return _widen_bf16(array)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _widen_bf16(bits):
    # bfloat16 is the top half of a float32, so shifting its bits up 16 is exact.
    return (bits.astype(np.uint32) << 16).view(np.float32)
