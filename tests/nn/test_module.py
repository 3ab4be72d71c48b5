"""nn.Module: registration, traversal, modes, state_dict round trips with torch."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameters_are_registered_in_assignment_order():
    names = [n for n, _ in TwoLayer().named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_children_and_modules_walk_the_tree():
    m = TwoLayer()
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert len(list(m.modules())) == 4


def test_reassigning_an_attribute_replaces_the_parameter():
    m = TwoLayer()
    m.fc1 = nn.Linear(3, 5)
    assert dict(m.named_parameters())["fc1.weight"].shape == (5, 3)
    del m.fc2
    assert "fc2.weight" not in dict(m.named_parameters())


def test_shared_parameter_is_listed_once():
    m = TwoLayer()
    m.fc3 = m.fc1
    assert len(list(m.parameters())) == 4


def test_forgetting_super_init_says_so():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_train_and_eval_set_every_submodule():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_sets_grads_to_none_or_zero():
    m = TwoLayer()
    m(cr.randn(5, 3)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.array == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_keys_match_torch_sequential():
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_weights_from_torch_give_torch_outputs():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ours.load_state_dict(theirs.state_dict())  # torch tensors accepted
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(cr.tensor(x)).array, expected, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_with_numpy_arrays():
    a, b = TwoLayer(), TwoLayer()
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.array, q.array)


def test_load_state_dict_names_missing_and_unexpected_keys():
    m = TwoLayer()
    state = m.state_dict()
    state.pop("fc2.bias")
    state["extra"] = cr.zeros(1)
    with pytest.raises(KeyError, match="fc2.bias.*extra"):
        m.load_state_dict(state)
    missing, unexpected = m.load_state_dict(state, strict=False)
    assert missing == ["fc2.bias"] and unexpected == ["extra"]


def test_load_state_dict_shape_mismatch_names_the_key():
    m = TwoLayer()
    state = m.state_dict()
    state["fc1.weight"] = np.zeros((2, 2))
    with pytest.raises(cr.ShapeError, match=r"fc1.weight.*\(4, 3\).*\(2, 2\)"):
        m.load_state_dict(state)


def test_repr_lists_children_like_torch():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(1): ReLU()" in text


def test_to_double_and_float_convert_parameters_and_gradients_in_place():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    model(cr.ones(4, 3)).sum().backward()
    weight = model[0].weight
    assert model.double() is model
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in model.parameters())
    assert model[0].weight is weight  # the same Parameter objects: an optimizer still has them
    assert model(cr.ones(4, 3, dtype=cr.float64)).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    model.to("cpu", cr.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())


@pytest.mark.parametrize("args, error, message", [
    (("mps",), ValueError, "runs on 'cpu' and 'cuda'"),
    ((np.int64,), TypeError, "floating dtypes, got int64"),
])
def test_to_refuses_what_it_cannot_do(args, error, message):
    with pytest.raises(error, match=message):
        nn.Linear(2, 1).to(*args)


def test_requires_grad_freezes_and_unfreezes_every_parameter():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


class _Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
        self.layers.append(nn.Linear(2, 1))

    def forward(self, x):
        for layer in self.layers:
            x = cr.tanh(layer(x)) if layer is not self.layers[-1] else layer(x)
        return x


def test_module_list_registers_its_layers_as_torch_names_them():
    model = _Stack()
    assert list(model.state_dict()) == [f"layers.{i}.{k}" for i in range(3)
                                        for k in ("weight", "bias")]
    assert len(model.layers) == 3 and isinstance(model.layers[1:], nn.ModuleList)
    assert model(cr.ones(5, 3)).shape == (5, 1)
    with pytest.raises(TypeError, match="ModuleList: item 3 is a int"):
        model.layers.append(3)
    with pytest.raises(NotImplementedError, match="loop over it"):
        model.layers(cr.ones(1, 3))


@pytest.mark.parametrize("value", [cr.tensor(np.zeros((4, 3), np.float32)), np.zeros((4, 3))])
def test_assigning_a_non_parameter_to_a_weight_is_refused_as_in_torch(value):
    m = TwoLayer()
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.fc1.weight = value
    with pytest.raises(TypeError):
        torch.nn.Linear(3, 4).weight = torch.zeros(4, 3)
    assert [n for n, _ in m.fc1.named_parameters()] == ["weight", "bias"]


def test_assigning_a_non_module_to_a_child_is_refused_as_in_torch():
    m = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="'0' must be a Module"):
        m.add_module("0", 5)
    with pytest.raises(TypeError, match="child module 'fc1'"):
        TwoLayer().fc1 = "fc"
    with pytest.raises(TypeError):
        torch.nn.Sequential(torch.nn.Linear(2, 2)).add_module("0", 5)
    assert len(m) == 1


def test_register_parameter_needs_a_parameter_as_in_torch():
    with pytest.raises(TypeError, match="register_parameter"):
        nn.Linear(2, 2).register_parameter("scale", cr.tensor([1.0]))
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 2).register_parameter("scale", torch.tensor([1.0]))


def _shared_layer_models():
    cr.manual_seed(0)
    fc = nn.Linear(2, 2)
    torch_fc = torch.nn.Linear(2, 2)
    return (nn.Sequential(fc, nn.Tanh(), fc),
            torch.nn.Sequential(torch_fc, torch.nn.Tanh(), torch_fc))


def test_state_dict_names_a_shared_layer_under_each_path_as_torch_does():
    model, torch_model = _shared_layer_models()
    assert list(model.state_dict()) == list(torch_model.state_dict())
    assert len(list(model.parameters())) == 2  # parameters() still lists it once
    torch_model.load_state_dict({k: torch.from_numpy(v.array.copy())
                                 for k, v in model.state_dict().items()})
    model.load_state_dict(torch_model.state_dict())
    np.testing.assert_array_equal(model[0].weight.array, torch_model[0].weight.detach().numpy())


def test_a_model_with_a_shared_layer_saves_and_loads(tmp_path):
    model, _ = _shared_layer_models()
    cr.save(model, tmp_path / "shared.safetensors")
    loaded = cr.load(tmp_path / "shared.safetensors")
    x = cr.ones(3, 2)
    np.testing.assert_array_equal(loaded(x).array, model(x).array)


def test_named_modules_lists_a_shared_layer_once_as_torch_does():
    model, torch_model = _shared_layer_models()
    assert [n for n, _ in model.named_modules()] == [n for n, _ in torch_model.named_modules()]
    visits = []
    model.apply(visits.append)
    assert len(visits) == len(set(map(id, visits))) == 3


def test_a_slice_of_a_sequential_keeps_the_layer_names_as_torch_does():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(),
                                      torch.nn.Linear(3, 1))
    assert list(model[1:].state_dict()) == list(torch_model[1:].state_dict()) == ["2.weight",
                                                                                  "2.bias"]
    assert model[1:][1] is model[2]
    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.Tanh())]))
    assert [n for n, _ in named[:1].named_children()] == ["hidden"]
    assert [n for n, _ in nn.ModuleList([nn.Tanh(), nn.ReLU()])[1:].named_children()] == ["0"]


@pytest.mark.parametrize("index, error, message", [
    (3, IndexError, "Sequential index 3 is out of range for its 2 layer"),
    (-3, IndexError, "index -3 is out of range"),
    ("0", TypeError, "Sequential indices must be integers or slices, got str"),
])
def test_a_bad_sequential_index_names_the_container(index, error, message):
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    with pytest.raises(error, match=message):
        model[index]
    assert model[-2] is model[0] and model[np.int64(1)] is model[1]


def _names_and_kinds(container):
    return [(name, type(m).__name__) for name, m in container.named_children()]


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
def test_insert_replace_and_delete_layers_as_torch_does(kind):
    def build(lib):
        layers = [lib.nn.Linear(2, 3), lib.nn.Tanh(), lib.nn.Linear(3, 1)]
        return getattr(lib.nn, kind)(*layers) if kind == "Sequential" else lib.nn.ModuleList(layers)

    ours, theirs = build(cr), build(torch)
    for container, lib in ((ours, cr), (theirs, torch)):
        container.insert(1, lib.nn.ReLU())
        container.insert(len(container) - 1, lib.nn.Sigmoid())  # torch's ModuleList: no -1
        container.insert(len(container), lib.nn.Identity())
        container[0] = lib.nn.Linear(2, 3, bias=False)
        container[-1] = lib.nn.Tanh()
        del container[2]
        del container[1:3]
    assert _names_and_kinds(ours) == _names_and_kinds(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.insert(-1, nn.Sigmoid())  # a negative index counts from the end, as list.insert does
    assert type(ours[-2]).__name__ == "Sigmoid" and type(ours[-1]).__name__ == "Tanh"


def test_replaced_layer_keeps_its_name_in_a_named_sequential():
    model = nn.Sequential(OrderedDict(fc=nn.Linear(2, 3), act=nn.Tanh()))
    model[1] = nn.ReLU()
    assert _names_and_kinds(model) == [("fc", "Linear"), ("act", "ReLU")]


@pytest.mark.parametrize("action, error, message", [
    (lambda m: m.insert(4, nn.Tanh()), IndexError, r"insert: index 4 is out of range .* -2 to 2"),
    (lambda m: m.insert(0, "relu"), TypeError, "item 0 is a str, not a Module"),
    (lambda m: m.__setitem__(2, nn.Tanh()), IndexError, "index 2 is out of range"),
    (lambda m: m.__setitem__(0, 3), TypeError, "item 0 is a int, not a Module"),
    (lambda m: m.__delitem__(-3), IndexError, "index -3 is out of range"),
])
def test_bad_container_edits_name_what_is_wrong_and_change_nothing(action, error, message):
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    with pytest.raises(error, match=message):
        action(model)
    assert _names_and_kinds(model) == [("0", "Linear"), ("1", "Tanh")]
