"""chainrule.save / load of nested checkpoints: torch.save's habit without pickle, refused when
damaged, crafted or written by torch."""

import json
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.io import CorruptFileError, load_tensors, save_tensors


def _trained():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for _ in range(3):
        opt.zero_grad()
        model(cr.randn(5, 3)).sum().backward()
        opt.step()
    sched.step(1.0)
    return model, opt, sched


def test_a_checkpoint_round_trips_bit_for_bit(tmp_path):
    model, opt, sched = _trained()
    checkpoint = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
                  "scheduler": sched.state_dict(), "note": "ok", "none": None, "flag": True,
                  "pair": (1, 2.5), "scalar": np.float32(0.1), "nan": math.nan}
    path = tmp_path / "ckpt.safetensors"
    cr.save(checkpoint, path)
    back = cr.load(path, map_location="cpu", weights_only=True)
    assert back["epoch"] == 3 and back["note"] == "ok" and back["none"] is None
    assert back["flag"] is True and back["pair"] == (1, 2.5) and math.isnan(back["nan"])
    assert type(back["scalar"]) is np.float32 and back["scalar"] == np.float32(0.1)
    assert back["scheduler"] == sched.state_dict()  # best=inf and all
    for name, t in model.state_dict().items():
        assert isinstance(back["model"][name], cr.Tensor)
        np.testing.assert_array_equal(back["model"][name].array, t.array)
    saved = opt.state_dict()
    assert back["optimizer"]["param_groups"] == saved["param_groups"]
    assert set(back["optimizer"]["state"]) == {0, 1, 2, 3}  # integer keys, as torch's
    for idx, state in saved["state"].items():
        for key, value in state.items():
            got = back["optimizer"]["state"][idx][key]
            if isinstance(value, np.ndarray):
                assert got.dtype == value.dtype
                np.testing.assert_array_equal(got, value)
            else:
                assert got == value


def test_a_loaded_checkpoint_resumes_training_exactly(tmp_path):
    model, opt, _ = _trained()
    cr.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c")
    twin = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin_opt = optim.Adam(twin.parameters(), lr=0.5)
    back = cr.load(tmp_path / "c")
    twin.load_state_dict(back["model"])
    twin_opt.load_state_dict(back["optimizer"])
    x = cr.randn(5, 3)
    for m, o in ((model, opt), (twin, twin_opt)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.array, b.array)


def test_a_checkpoint_is_a_plain_safetensors_file_of_its_arrays(tmp_path):
    model, opt, _ = _trained()
    cr.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c")
    tensors, metadata = load_tensors(tmp_path / "c")
    assert metadata["format"] == "chainrule.checkpoint/1"
    weight = next(v for k, v in tensors.items() if k.endswith("model.0.weight"))
    np.testing.assert_array_equal(weight, model[0].weight.array)
    assert len(tensors) == 4 + 4 * 2  # 4 weights, Adam's two moments for each


@pytest.mark.parametrize("legacy", [False, True])
def test_a_torch_save_file_is_refused_with_how_to_convert_it(tmp_path, legacy):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(CorruptFileError, match="torch.save.*save_file"):
        cr.load(path)


def test_a_crafted_architecture_cannot_allocate_what_the_file_does_not_hold(tmp_path):
    import tracemalloc

    arch = {"type": "Sequential", "config": {"layers": [{"name": "0", "type": "Linear", "config": {
        "in_features": 100_000, "out_features": 100_000, "bias": True, "dtype": "float32"}}]}}
    path = tmp_path / "m.safetensors"
    save_tensors(path, {"0.weight": np.zeros((2, 2), np.float32)},
                 {"format": "chainrule.model/1", "architecture": json.dumps(arch)})
    tracemalloc.start()
    with pytest.raises(CorruptFileError, match="Linear.*more than the file holds"):
        cr.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000


def test_a_huge_dtype_in_the_architecture_is_refused(tmp_path):
    arch = {"type": "Linear", "config": {"in_features": 2, "out_features": 2,
                                         "dtype": "V1000000000"}}
    path = tmp_path / "m.safetensors"
    save_tensors(path, {}, {"format": "chainrule.model/1", "architecture": json.dumps(arch)})
    with pytest.raises(CorruptFileError, match="dtype must be one of"):
        cr.load(path)


def test_deeply_nested_architectures_and_checkpoints_are_refused(tmp_path):
    arch = {"type": "ReLU", "config": {}}
    for _ in range(100):
        arch = {"type": "Sequential", "config": {"layers": [{"name": "0", **arch}]}}
    path = tmp_path / "m.safetensors"
    save_tensors(path, {}, {"format": "chainrule.model/1", "architecture": json.dumps(arch)})
    with pytest.raises(CorruptFileError, match="nests more than 64"):
        cr.load(path)
    deep = "[" * 100_000 + "]" * 100_000
    save_tensors(path, {}, {"format": "chainrule.checkpoint/1", "structure": deep})
    with pytest.raises(CorruptFileError, match="nested too deeply"):
        cr.load(path)
    nested = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(ValueError, match="nests more than 64"):
        cr.save(nested, path)


def test_a_checkpoint_naming_a_missing_tensor_is_refused(tmp_path):
    path = tmp_path / "c"
    save_tensors(path, {"a": np.zeros(2)}, {"format": "chainrule.checkpoint/1",
                                            "structure": '{"dict":[["w",{"array":"b"}]]}'})
    with pytest.raises(CorruptFileError, match="tensor 'b', which the file does not hold"):
        cr.load(path)


def test_absurd_shapes_are_refused_even_when_empty(tmp_path):
    path = tmp_path / "t"
    save_tensors(path, {"a": np.zeros(2, np.float32)})
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["e"] = {"dtype": "F32", "shape": [0, 2**60, 2**60], "data_offsets": [8, 8]}
    del header["__metadata__"]
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])
    with pytest.raises(CorruptFileError, match="more than 281474976710656 elements"):
        load_tensors(path)
