"""Module buffers as torch has them: registered, listed, replaced by assignment, saved unless
non-persistent, loaded, converted with the module when floating."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("scale", cr.tensor(np.ones(2, dtype=np.float32)))
        self.register_buffer("steps", cr.tensor(np.array(0, dtype=np.int64)))
        self.register_buffer("cache", cr.tensor(np.zeros(3, dtype=np.float32)), persistent=False)
        self.register_buffer("unused", None)

    def forward(self, x):
        return self.fc(x) * self.scale


def test_buffers_are_listed_with_their_names_and_not_as_parameters():
    m = nn.Sequential(Counter())
    assert [n for n, _ in m.named_buffers()] == ["0.scale", "0.steps", "0.cache"]
    assert len(list(m.buffers())) == 3
    assert [n for n, _ in m.named_parameters()] == ["0.fc.weight", "0.fc.bias"]


def test_state_dict_holds_persistent_buffers_after_the_parameters():
    assert list(Counter().state_dict()) == ["scale", "steps", "fc.weight", "fc.bias"]


def test_assigning_a_tensor_replaces_the_buffer_and_anything_else_is_refused():
    m = Counter()
    m.scale = cr.tensor([2.0, 3.0])
    assert m._buffers["scale"] is m.scale and m.state_dict()["scale"].tolist() == [2.0, 3.0]
    with pytest.raises(TypeError, match=r"buffer 'scale' of Counter must be a Tensor"):
        m.scale = np.ones(2)


def test_load_state_dict_fills_buffers_and_strict_mode_wants_them():
    m, other = Counter(), Counter()
    other.scale.array[...] = 5
    other.steps.array[...] = 7
    m.load_state_dict(other.state_dict())
    assert m.scale.tolist() == [5.0, 5.0] and int(m.steps.item()) == 7
    state = other.state_dict()
    del state["steps"]
    with pytest.raises(KeyError, match="steps"):
        m.load_state_dict(state)


def test_to_converts_floating_buffers_only():
    m = Counter().double()
    assert m.scale.dtype == np.float64 and m.cache.dtype == np.float64
    assert m.steps.dtype == np.int64


def test_register_buffer_refuses_a_name_in_use():
    m = Counter()
    with pytest.raises(KeyError, match=r"already has an attribute 'fc'"):
        m.register_buffer("fc", cr.tensor([1.0]))
    with pytest.raises(KeyError, match=r"without '.'"):
        m.register_buffer("a.b", cr.tensor([1.0]))


def test_a_saved_module_keeps_its_buffers(tmp_path):
    m = Counter()
    m.scale.array[...] = 4
    cr.save(m, tmp_path / "c.safetensors")
    state = cr.load(tmp_path / "c.safetensors")  # a custom Module: its state comes back as a dict
    assert state["scale"].tolist() == [4.0, 4.0] and "cache" not in state
