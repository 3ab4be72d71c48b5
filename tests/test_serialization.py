"""chainrule.save / load: weights + architecture in one safetensors file, refused when damaged."""

import json
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.io.safetensors import CorruptFileError, load_tensors


def _model():
    cr.manual_seed(3)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.LeakyReLU(0.2), nn.Dropout(0.1),
                         nn.Linear(5, 3), nn.Softmax(dim=1))


def test_a_saved_sequential_comes_back_without_code(tmp_path):
    model = _model()
    path = tmp_path / "m.safetensors"
    cr.save(model, path)
    loaded = cr.load(path)
    assert repr(loaded) == repr(model)
    x = cr.randn(4, 2, 3)
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(loaded(x).array, model(x).array)


def test_the_file_is_plain_safetensors_with_torch_names(tmp_path):
    path = tmp_path / "m.safetensors"
    cr.save(_model(), path)
    tensors, metadata = load_tensors(path)
    assert sorted(tensors) == ["1.bias", "1.weight", "4.bias", "4.weight"]
    assert json.loads(metadata["architecture"])["type"] == "Sequential"


def test_nested_sequential_round_trips(tmp_path):
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), nn.Linear(2, 1))
    cr.save(model, tmp_path / "m.safetensors")
    loaded = cr.load(tmp_path / "m.safetensors")
    assert list(loaded.state_dict()) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    np.testing.assert_array_equal(loaded[1].weight.array, model[1].weight.array)


def test_a_custom_module_saves_its_weights_for_load_state_dict(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

    net = Net()
    cr.save(net, tmp_path / "w.safetensors")
    state = cr.load(tmp_path / "w.safetensors")
    assert isinstance(state, dict)
    other = Net()
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.fc.weight.array, net.fc.weight.array)


def test_a_scalar_parameter_keeps_its_shape_through_save_and_load(tmp_path):
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.scale = nn.Parameter(np.array(2.5, dtype=np.float32))

        def forward(self, x):
            return self.fc(x) * self.scale

    net = Scaled()
    cr.save(net, tmp_path / "w.safetensors")
    other = Scaled()
    other.load_state_dict(cr.load(tmp_path / "w.safetensors"))
    assert other.scale.shape == () and other.scale.item() == 2.5
    cr.save({"t": cr.tensor(1.5)}, tmp_path / "d.safetensors")
    assert cr.load(tmp_path / "d.safetensors")["t"].shape == ()


def test_a_loss_layer_keeps_its_pos_weight_through_save_and_load(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.BCEWithLogitsLoss(pos_weight=np.array([3.0, 0.5])))
    cr.save(model, tmp_path / "m.safetensors")
    loss = cr.load(tmp_path / "m.safetensors")[1]
    np.testing.assert_array_equal(loss.pos_weight, [3.0, 0.5])
    z, t = cr.tensor([[0.3, -1.0]]), cr.tensor([[1.0, 0.0]])
    assert loss(z, t).item() == pytest.approx(model[1](z, t).item())


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    cr.save(_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])
    with pytest.raises(CorruptFileError):
        cr.load(path)


def test_a_tampered_weight_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    cr.save(_model(), path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="(?i)sha|checksum|digest"):
        cr.load(path)


def test_saving_over_a_file_replaces_it_whole(tmp_path):
    path = tmp_path / "m.safetensors"
    cr.save(_model(), path)
    cr.save(nn.Sequential(nn.Linear(1, 1)), path)
    assert len(cr.load(path)) == 1
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temp file left behind


def test_an_unknown_layer_type_in_the_architecture_is_named(tmp_path):
    from chainrule.io.safetensors import save_tensors

    path = tmp_path / "m.safetensors"
    arch = {"type": "Sequential", "config": {"layers": [
        {"name": "0", "type": "Conv9d", "config": {}}]}}
    save_tensors(path, {}, {"format": "chainrule.model/1", "architecture": json.dumps(arch)})
    with pytest.raises(ValueError, match="Conv9d"):
        cr.load(path)


def test_saving_something_else_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="Module, a dict"):
        cr.save({1, 2}, tmp_path / "x")
    with pytest.raises(TypeError, match=r"checkpoint\.a\.0 is a set"):
        cr.save({"a": [{3}]}, tmp_path / "x")
