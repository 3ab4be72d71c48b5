"""state_dict / load_state_dict: torch's layout, copies, and resumed runs that follow torch."""

import numpy as np
import pytest
import torch
from optim_helpers import Bowl, continue_side_by_side, make_params, param_groups

from chainrule import nn, optim

CASES = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.02, amsgrad=True, weight_decay=0.1)),
    (optim.AdamW, dict(lr=0.02, amsgrad=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    (optim.Adamax, dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)),
    (optim.NAdam, dict(lr=0.02, momentum_decay=0.1, decoupled_weight_decay=True,
                       weight_decay=0.1)),
    (optim.RAdam, dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1)),
    (optim.Rprop, dict(lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-4, 1.0))),
]
GROUPS = [([0, 2], {}), ([1], dict(lr=0.003))]


def _start(cls, kwargs, k=25):
    """Both sides after k steps on the same gradients."""
    bowl = Bowl()
    ours, theirs = make_params(bowl)
    opt = cls(param_groups(ours, GROUPS), **kwargs)
    topt = getattr(torch.optim, cls.__name__)(param_groups(theirs, GROUPS), **kwargs)
    continue_side_by_side(ours, theirs, opt, topt, bowl, k, skip_every=4)
    return ours, theirs, opt, topt, bowl


def _fresh(cls, ours):
    """A new optimizer on new parameters holding the same values (as after loading weights)."""
    params = [nn.Parameter(p.array.copy()) for p in ours]
    return params, cls(param_groups(params, GROUPS), lr=123.0)


@pytest.mark.parametrize("cls, kwargs", CASES, ids=str)
def test_resumed_from_state_dict_still_matches_torch(cls, kwargs):
    ours, theirs, opt, topt, bowl = _start(cls, kwargs)
    saved = opt.state_dict()
    params, resumed = _fresh(cls, ours)
    resumed.load_state_dict(saved)
    continue_side_by_side(params, theirs, resumed, topt, bowl, 35, skip_every=4)


@pytest.mark.parametrize("cls, kwargs", CASES, ids=str)
def test_state_dict_has_torchs_layout(cls, kwargs):
    ours, theirs, opt, topt, bowl = _start(cls, kwargs, k=5)
    mine, torchs = opt.state_dict(), topt.state_dict()
    assert [g["params"] for g in mine["param_groups"]] == \
        [g["params"] for g in torchs["param_groups"]]
    for group, tgroup in zip(mine["param_groups"], torchs["param_groups"]):
        assert group == {k: tgroup[k] for k in group}
    assert mine["state"].keys() == torchs["state"].keys()
    for i, state in mine["state"].items():
        assert state.keys() == torchs["state"][i].keys()
        for key, value in state.items():
            if key == "step":
                assert value == float(torchs["state"][i]["step"])
            elif key == "mu_product":  # torch keeps it in float32 (its scalar dtype), we in float64
                np.testing.assert_allclose(value, float(torchs["state"][i][key]), rtol=1e-6)
            else:
                np.testing.assert_allclose(value, torchs["state"][i][key].numpy(), rtol=1e-8)


@pytest.mark.parametrize("cls, kwargs", CASES, ids=str)
def test_loads_a_state_dict_saved_by_torch(cls, kwargs):
    ours, theirs, opt, topt, bowl = _start(cls, kwargs)
    saved = topt.state_dict()
    converted = {
        "state": {i: {k: (v.numpy().copy() if k != "step" else v.item()) for k, v in s.items()}
                  for i, s in saved["state"].items()},
        "param_groups": saved["param_groups"],
    }
    params, resumed = _fresh(cls, ours)
    resumed.load_state_dict(converted)
    continue_side_by_side(params, theirs, resumed, topt, bowl, 10)


@pytest.mark.parametrize("cls, kwargs", CASES, ids=str)
def test_loads_torchs_state_dict_as_it_is(cls, kwargs):
    ours, theirs, opt, topt, bowl = _start(cls, kwargs)
    params, resumed = _fresh(cls, ours)
    resumed.load_state_dict(topt.state_dict())  # torch tensors, as Module.load_state_dict takes
    assert all(isinstance(v, (int, float, np.ndarray))
               for s in resumed.state.values() for v in s.values())
    continue_side_by_side(params, theirs, resumed, topt, bowl, 10)


def test_state_dict_arrays_are_copies():
    ours, theirs, opt, topt, bowl = _start(optim.Adam, dict(lr=0.02), k=3)
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    continue_side_by_side(ours, theirs, opt, topt, bowl, 2)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def test_loaded_state_is_copied_in_and_cast_to_the_parameter_dtype():
    p = nn.Parameter(np.zeros(2, dtype=np.float32))
    saved_avg = np.array([1.0, 2.0])
    state = {"state": {0: {"step": 1, "exp_avg": saved_avg, "exp_avg_sq": np.ones(2)}},
             "param_groups": [{"params": [0], "lr": 0.5}]}
    opt = optim.Adam([p])
    opt.load_state_dict(state)
    assert opt.state[p]["exp_avg"].dtype == np.float32
    assert opt.state[p]["exp_avg"] is not saved_avg
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is p


def test_loading_a_state_dict_with_a_different_number_of_groups_is_an_error():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    saved = optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="1 parameter group.*2"):
        optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)


def test_loading_a_state_dict_with_a_different_group_size_is_an_error():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    saved = optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="2 parameters.*1"):
        optim.SGD([a]).load_state_dict(saved)


def test_loading_state_of_the_wrong_shape_is_an_error():
    a = nn.Parameter(np.zeros(2))
    saved = {"state": {0: {"step": 1, "momentum_buffer": np.zeros(3)}},
             "param_groups": [{"params": [0], "lr": 0.1}]}
    with pytest.raises(ValueError, match=r"momentum_buffer.*\(3,\).*\(2,\)"):
        optim.SGD([a], momentum=0.9).load_state_dict(saved)
