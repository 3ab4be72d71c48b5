"""ModuleDict, ParameterList, ParameterDict: what they hold is registered under torch's names
(so optimizers and state_dict see it); clip_grad_value_ and parameters_to_vector /
vector_to_parameters match torch."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
        self.scales = nn.ParameterList([nn.Parameter(np.ones(3)), cr.tensor(np.zeros(2))])
        self.extra = nn.ParameterDict({"temperature": nn.Parameter(np.array(1.0))})

    def forward(self, x):
        return (self.heads["cls"](x) * self.scales[0]).sum() + (
            self.heads["box"](x) + self.scales[1]).sum() * self.extra["temperature"]


def test_containers_register_under_torchs_names():
    names = [n for n, _ in Heads().named_parameters()]
    assert names == ["heads.cls.weight", "heads.cls.bias", "heads.box.weight", "heads.box.bias",
                     "scales.0", "scales.1", "extra.temperature"]


def test_an_optimizer_trains_what_the_containers_hold():
    model = Heads()
    before = [p.array.copy() for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(cr.tensor(np.ones((2, 4), dtype=np.float32))).backward()
    opt.step()
    assert all(not np.array_equal(b, p.array) for b, p in zip(before, model.parameters()))


def test_a_plain_tensor_becomes_a_parameter():
    params = nn.ParameterList([cr.tensor([1.0, 2.0])])
    assert isinstance(params[0], nn.Parameter) and params[0].requires_grad


def test_module_dict_behaves_as_a_dict():
    d = nn.ModuleDict()
    d["a"] = nn.ReLU()
    d.update([("b", nn.Tanh())])
    assert list(d) == ["a", "b"] and "a" in d and len(d) == 2
    assert isinstance(d.pop("a"), nn.ReLU) and list(d.keys()) == ["b"]
    with pytest.raises(KeyError, match=r"ModuleDict has no module 'c' \(it has \['b'\]\)"):
        d["c"]
    with pytest.raises(TypeError, match="Module"):
        d["x"] = 3


def test_parameter_list_and_dict_index_and_refuse_other_things():
    plist = nn.ParameterList()
    plist.append(nn.Parameter(np.ones(2))).extend([nn.Parameter(np.zeros(1))])
    assert len(plist) == 2 and plist[-1].shape == (1,)
    plist[0] = nn.Parameter(np.full(3, 2.0))
    assert plist[0].shape == (3,) and len(list(plist)) == 2
    with pytest.raises(IndexError, match=r"ParameterList index 2 is out of range"):
        plist[2]
    with pytest.raises(TypeError, match=r"ParameterList holds Parameters or Tensors, got a list"):
        plist.append([1.0])
    pdict = nn.ParameterDict()
    pdict["w"] = nn.Parameter(np.ones(2))
    assert list(pdict.keys()) == ["w"] and "w" in pdict
    with pytest.raises(KeyError, match=r"ParameterDict has no parameter 'v'"):
        pdict["v"]


def test_state_dict_round_trip_through_the_containers():
    a, b = Heads(), Heads()
    b.load_state_dict(a.state_dict())
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.array, q.array, err_msg=name)


# -- utils ----------------------------------------------------------------------------------------
def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)) * 3, rng.standard_normal(5)]
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = cr.tensor(g.copy())
        t.grad = torch.tensor(g)
    nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.array, t.grad.numpy())


def test_parameters_to_vector_and_back_match_torch():
    ours = nn.Linear(3, 2).double()
    theirs = torch.nn.Linear(3, 2).double()
    theirs.load_state_dict({k: torch.tensor(v.array) for k, v in ours.state_dict().items()})
    vec = nn.utils.parameters_to_vector(ours.parameters())
    np.testing.assert_array_equal(vec.array, torch.nn.utils.parameters_to_vector(
        theirs.parameters()).detach().numpy())
    (vec * cr.tensor(np.arange(8.0))).sum().backward()  # differentiable, as torch's
    np.testing.assert_array_equal(ours.weight.grad.array.ravel(), np.arange(6.0))
    new = np.arange(8.0) / 10
    nn.utils.vector_to_parameters(cr.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for p, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.array, t.detach().numpy())
    with pytest.raises(ValueError, match=r"vec has 3 elements but the parameters hold 8"):
        nn.utils.vector_to_parameters(cr.tensor(np.zeros(3)), ours.parameters())
