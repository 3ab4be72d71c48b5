import hashlib
import json
import os
import struct

import numpy as np
import pytest

from chainrule.io import CorruptFileError, load_tensors, save_tensors

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "bool"]


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def _handmade(path, header, data=b"", pad=True):
    """A file assembled from the spec: u64 LE length, JSON header, data."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def _split(path):
    """(header dict, data bytes) of a file, read by hand."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


# --- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_every_dtype_and_shape_round_trips_exactly(tmp_path, dtype, shape):
    original = _sample(dtype, shape)
    save_tensors(tmp_path / "t.safetensors", {"x": original})
    loaded, _ = load_tensors(tmp_path / "t.safetensors")
    assert loaded["x"].dtype == np.dtype(dtype)
    assert loaded["x"].shape == shape
    np.testing.assert_array_equal(loaded["x"], original)


def test_nan_and_infinities_round_trip_bit_for_bit(tmp_path):
    x = np.array([np.nan, np.inf, -np.inf, -0.0, np.finfo(np.float32).tiny], dtype=np.float32)
    save_tensors(tmp_path / "t.safetensors", {"x": x})
    loaded, _ = load_tensors(tmp_path / "t.safetensors")
    assert loaded["x"].tobytes() == x.tobytes()


def test_many_tensors_of_mixed_dtypes_come_back_in_the_order_given(tmp_path):
    tensors = {"b.u8": _sample("uint8", (3,)), "a.f64": _sample("float64", (2, 2)),
               "c.bool": _sample("bool", (5,)), "d.f16": _sample("float16", (1, 3))}
    save_tensors(tmp_path / "t.safetensors", tensors)
    loaded, _ = load_tensors(tmp_path / "t.safetensors")
    assert list(loaded) == list(tensors)
    for name, array in tensors.items():
        np.testing.assert_array_equal(loaded[name], array)


def test_every_tensor_is_aligned_to_its_item_size_in_the_file(tmp_path):
    tensors = {"u8": _sample("uint8", (3,)), "f64": _sample("float64", (2,)),
               "i16": _sample("int16", (3,)), "f32": _sample("float32", (1,))}
    save_tensors(tmp_path / "t.safetensors", tensors)
    raw = (tmp_path / "t.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header, _ = _split(tmp_path / "t.safetensors")
    assert (8 + n) % 8 == 0
    for name, array in tensors.items():
        assert (8 + n + header[name]["data_offsets"][0]) % array.dtype.itemsize == 0


def test_non_contiguous_and_big_endian_arrays_are_stored_c_ordered_little_endian(tmp_path):
    transposed = np.arange(6, dtype=np.float32).reshape(2, 3).T
    big_endian = np.array([1, 256, -2], dtype=">i4")
    save_tensors(tmp_path / "t.safetensors", {"t": transposed, "b": big_endian})
    header, data = _split(tmp_path / "t.safetensors")
    begin, end = header["t"]["data_offsets"]
    assert data[begin:end] == struct.pack("<6f", 0, 3, 1, 4, 2, 5)
    begin, end = header["b"]["data_offsets"]
    assert data[begin:end] == struct.pack("<3i", 1, 256, -2)
    loaded, _ = load_tensors(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(loaded["t"], transposed)
    np.testing.assert_array_equal(loaded["b"], big_endian)


def test_metadata_round_trips_without_the_checksums(tmp_path):
    meta = {"format": "pt", "note": "ünïcode ✓"}
    save_tensors(tmp_path / "t.safetensors", {"x": np.zeros(2, np.float32)}, meta)
    _, loaded = load_tensors(tmp_path / "t.safetensors")
    assert loaded == meta


def test_an_empty_dict_of_tensors_round_trips(tmp_path):
    save_tensors(tmp_path / "t.safetensors", {})
    assert load_tensors(tmp_path / "t.safetensors") == ({}, {})


def test_loaded_arrays_are_writable(tmp_path):
    save_tensors(tmp_path / "t.safetensors", {"x": np.zeros(3, np.float32)})
    loaded, _ = load_tensors(tmp_path / "t.safetensors")
    loaded["x"][0] = 1.0
    assert loaded["x"][0] == 1.0


# --- the bytes on disk follow the spec -------------------------------------------------------

def test_saved_bytes_match_a_file_built_by_hand_from_the_spec(tmp_path):
    path = tmp_path / "t.safetensors"
    save_tensors(path, {"w": np.array([[1.0, -2.0], [0.5, 3.0]], np.float32),
                        "n": np.array([7, -1], np.int16)}, {"format": "np"})
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0 and len(raw) == 8 + n + 16 + 4
    header = json.loads(raw[8:8 + n])
    assert raw[8:8 + n].rstrip(b" ").endswith(b"}")  # padding is spaces after the object
    # Built by hand: F32 first (wider elements first), then I16.
    expected_data = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0) + struct.pack("<2h", 7, -1)
    assert raw[8 + n:] == expected_data
    assert header["w"] == {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    assert header["n"] == {"dtype": "I16", "shape": [2], "data_offsets": [16, 20]}
    assert header["__metadata__"]["format"] == "np"
    assert header["__metadata__"]["chainrule.sha256"] == hashlib.sha256(expected_data).hexdigest()
    assert set(header) == {"w", "n", "__metadata__"}


def test_a_file_built_by_hand_from_the_spec_loads(tmp_path):
    data = struct.pack("<3d", 1.5, -2.0, 1e300) + struct.pack("<2B", 0, 255) + b"\x01"
    header = {"__metadata__": {"format": "pt"},
              "d": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]},
              "u": {"dtype": "U8", "shape": [2, 1], "data_offsets": [24, 26]},
              "flag": {"dtype": "BOOL", "shape": [], "data_offsets": [26, 27]},
              "none": {"dtype": "I32", "shape": [0, 4], "data_offsets": [27, 27]}}
    path = _handmade(tmp_path / "h.safetensors", header, data, pad=False)  # padding is optional
    tensors, meta = load_tensors(path)
    assert meta == {"format": "pt"}
    np.testing.assert_array_equal(tensors["d"], [1.5, -2.0, 1e300])
    np.testing.assert_array_equal(tensors["u"], [[0], [255]])
    assert tensors["flag"].shape == () and tensors["flag"].dtype == np.bool_ and tensors["flag"]
    assert tensors["none"].shape == (0, 4) and tensors["none"].dtype == np.int32


def test_bf16_tensors_are_widened_exactly_to_float32(tmp_path):
    # A bfloat16 is the high 16 bits of the float32 with the same value.
    values = [1.0, -2.5, 0.15625]
    data = b"".join(struct.pack("<f", v)[2:] for v in values)
    path = _handmade(tmp_path / "h.safetensors",
                     {"x": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}, data)
    tensors, _ = load_tensors(path)
    assert tensors["x"].dtype == np.float32
    np.testing.assert_array_equal(tensors["x"], values)


def test_a_file_without_chainrule_checksums_still_loads(tmp_path):
    path = _handmade(tmp_path / "h.safetensors",
                     {"x": {"dtype": "I8", "shape": [2], "data_offsets": [0, 2]}}, b"\x05\xfb")
    tensors, meta = load_tensors(path)
    np.testing.assert_array_equal(tensors["x"], [5, -5])
    assert meta == {}


# --- corrupt files ---------------------------------------------------------------------------

def _saved(tmp_path):
    path = tmp_path / "good.safetensors"
    save_tensors(path, {"w": np.arange(12, dtype=np.float32).reshape(3, 4),
                        "b": np.ones(4, np.float64)}, {"format": "np"})
    return path


def _corrupt(path, match):
    with pytest.raises(CorruptFileError, match=match) as info:
        load_tensors(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)
    return info.value


@pytest.mark.parametrize("size", [0, 5])
def test_a_file_shorter_than_8_bytes_is_refused(tmp_path, size):
    path = tmp_path / "short.safetensors"
    path.write_bytes(b"\x01" * size)
    _corrupt(path, f"{size} bytes long, shorter than the 8-byte header length")


def test_a_file_truncated_inside_the_header_is_refused(tmp_path):
    path = _saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:40])
    _corrupt(path, "header length is .* but only 32 bytes follow")


def test_a_file_truncated_inside_the_data_is_refused(tmp_path):
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:-5])
    _corrupt(path, "run past the end of the .*-byte data buffer")


def test_trailing_garbage_after_the_data_is_refused(tmp_path):
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes() + b"junk")
    _corrupt(path, "4 bytes of trailing data after the last tensor")


def test_a_flipped_bit_in_the_data_fails_the_checksum(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0x01
    path.write_bytes(bytes(raw))
    _corrupt(path, "tensor data does not match its SHA-256 checksum")


def test_a_changed_shape_in_the_header_fails_the_header_checksum(tmp_path):
    # [3,4] -> [4,3] keeps the byte count, so only the checksum can notice.
    path = _saved(tmp_path)
    raw = path.read_bytes()
    assert raw.count(b'"shape":[3,4]') == 1
    path.write_bytes(raw.replace(b'"shape":[3,4]', b'"shape":[4,3]'))
    _corrupt(path, "header does not match its SHA-256 checksum")


def test_a_changed_metadata_value_fails_the_header_checksum(tmp_path):
    path = _saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"format":"np"', b'"format":"pt"'))
    _corrupt(path, "header does not match its SHA-256 checksum")


def test_a_flipped_byte_that_breaks_the_header_json_is_refused(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[8] = ord("[")  # the opening brace of the JSON object
    path.write_bytes(bytes(raw))
    _corrupt(path, "header is not valid JSON")


def test_a_header_that_is_not_utf8_is_refused(tmp_path):
    _corrupt(_handmade(tmp_path / "h.safetensors", b'{"\xff": 1}'), "not UTF-8")


def test_a_header_that_is_json_but_not_an_object_is_refused(tmp_path):
    _corrupt(_handmade(tmp_path / "h.safetensors", [1, 2]),
             "must be a JSON object, got a JSON list")


def test_duplicate_tensor_names_are_refused(tmp_path):
    entry = b'{"dtype":"U8","shape":[1],"data_offsets":[0,1]}'
    header = b'{"x":' + entry + b',"x":' + entry + b"}"
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\x00"), "duplicate key 'x'")


def test_an_unknown_dtype_is_refused(tmp_path):
    header = {"x": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\0" * 4),
             "tensor 'x' has unknown or unsupported dtype 'F99'")


@pytest.mark.parametrize("entry, match", [
    ({"dtype": "F32", "shape": [1]}, "missing data_offsets"),
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "shape must be a list"),
    ({"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}, "shape must be a list"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, "data_offsets must be"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [0]}, "data_offsets must be"),
    ([1, 2], "expected an object"),
])
def test_a_malformed_tensor_entry_is_refused(tmp_path, entry, match):
    _corrupt(_handmade(tmp_path / "h.safetensors", {"x": entry}, b"\0" * 4), match)


def test_a_shape_that_does_not_match_the_byte_count_is_refused(tmp_path):
    header = {"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\0" * 20),
             r"shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 20\] span 20")


def test_offsets_beyond_the_data_buffer_are_refused(tmp_path):
    header = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\0" * 4),
             "run past the end of the 4-byte data buffer")


def test_overlapping_tensors_are_refused(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\0" * 12),
             "tensor 'b': data_offsets .* overlap tensor 'a'")


def test_a_gap_between_tensors_is_refused(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
              "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\0" * 12),
             r"bytes 4\.\.8 of the data buffer belong to no tensor")


def test_metadata_that_is_not_strings_is_refused(tmp_path):
    _corrupt(_handmade(tmp_path / "h.safetensors", {"__metadata__": {"epoch": 3}}),
             "__metadata__ must be an object mapping strings to strings")


def test_bool_data_other_than_0_and_1_is_refused(tmp_path):
    header = {"x": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}
    _corrupt(_handmade(tmp_path / "h.safetensors", header, b"\x01\x07"),
             "BOOL data holds bytes other than 0 and 1")


def test_a_header_length_beyond_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "h.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 200 * 1024 * 1024))
        f.truncate(8 + 200 * 1024 * 1024)  # sparse: costs no disk space
    _corrupt(path, "exceeds the .*-byte limit")


# --- saving refuses what the format cannot hold ----------------------------------------------

def test_saving_a_dtype_the_format_lacks_names_the_tensor(tmp_path):
    with pytest.raises(TypeError, match="tensor 'z' has dtype complex64"):
        save_tensors(tmp_path / "t.safetensors", {"z": np.zeros(2, np.complex64)})
    with pytest.raises(TypeError, match="tensor 'o' has dtype object"):
        save_tensors(tmp_path / "t.safetensors", {"o": np.array([None])})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("metadata, error, match", [
    ({"epoch": 3}, TypeError, "metadata must map str -> str"),
    ({"chainrule.sha256": "0" * 64}, ValueError, "reserved for the checksum"),
    ([("a", "b")], TypeError, "metadata must be a dict"),
])
def test_saving_bad_metadata_is_refused(tmp_path, metadata, error, match):
    with pytest.raises(error, match=match):
        save_tensors(tmp_path / "t.safetensors", {}, metadata)


@pytest.mark.parametrize("tensors, error, match", [
    ({"__metadata__": np.zeros(1)}, ValueError, "reserved by the format"),
    ({3: np.zeros(1)}, TypeError, "names must be non-empty strings"),
    ({"": np.zeros(1)}, TypeError, "names must be non-empty strings"),
    ([np.zeros(1)], TypeError, "tensors must be a dict"),
])
def test_saving_bad_tensor_names_is_refused(tmp_path, tensors, error, match):
    with pytest.raises(error, match=match):
        save_tensors(tmp_path / "t.safetensors", tensors)


def test_a_failed_save_leaves_the_previous_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = _saved(tmp_path)
    before = path.read_bytes()

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_tensors(path, {"other": np.zeros(100, np.float32)})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]
    load_tensors(path)


def test_a_file_whose_two_checksum_keys_were_both_damaged_is_refused(tmp_path):
    # Found by the fuzz tests: one bit flipped in each key ("chainrule" -> "bhainrule") left no
    # key naming chainrule, so both checks were off and the file loaded with altered metadata.
    path = tmp_path / "a.safetensors"
    save_tensors(path, {"0": np.array(0.0, np.float32), "00": np.array(0.0, np.float32)})
    raw = bytearray(path.read_bytes())
    for key in (b'"chainrule.header_sha256"', b'"chainrule.sha256"'):
        raw[raw.index(key) + 1] ^= 1  # c -> b
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError, match="without its"):
        load_tensors(path)
