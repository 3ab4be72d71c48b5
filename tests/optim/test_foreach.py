"""foreach=True (and None where it pays), the batched path for groups of small parameters: same
numbers, same arrays, same state as the plain loop and as torch.optim."""

import numpy as np
import pytest
import torch

from chainrule import nn, optim


def _pair(n=6, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=(3, 2)) if i % 2 else rng.normal(size=(4,)) for i in range(n)]
    ours = [nn.Parameter(v.copy()) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    return ours, theirs


@pytest.mark.parametrize("make", [
    lambda ps, torch_: (optim.Adam(ps, foreach=True, lr=0.01, amsgrad=True) if not torch_
                        else torch.optim.Adam(ps, lr=0.01, amsgrad=True)),
    lambda ps, torch_: (optim.SGD if not torch_ else torch.optim.SGD)(
        ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, foreach=True),
    lambda ps, torch_: (optim.RMSprop if not torch_ else torch.optim.RMSprop)(
        ps, lr=0.01, momentum=0.5, centered=True, foreach=True),
    lambda ps, torch_: (optim.Adagrad if not torch_ else torch.optim.Adagrad)(
        ps, lr=0.1, lr_decay=0.01, foreach=True),
])
def test_flat_path_matches_torch_and_leaves_parameter_arrays_in_place(make):
    ours, theirs = _pair()
    arrays = [p.array for p in ours]
    opt, ref = make(ours, False), make(theirs, True)
    rng = np.random.default_rng(1)
    for step in range(30):
        for i, (p, q) in enumerate(zip(ours, theirs)):
            if step == 10 and i == 2:  # one missing gradient: that step takes the slow path
                p.grad, q.grad = None, None
                continue
            g = rng.normal(size=p.shape)
            p.grad = nn.Parameter(g.copy(), requires_grad=False)
            q.grad = torch.tensor(g)
        opt.step()
        ref.step()
        if step == 9:
            # the fast path was in use; after step 10, where one parameter skipped a step,
            # optimizers that count steps per parameter rightly stay on the per-parameter path
            assert opt._flat[id(opt.param_groups[0])] is not None
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert all(p.array is a for p, a in zip(ours, arrays))  # user-held arrays stay live
    for p, q in zip(ours, theirs):
        for key, value in opt.state[p].items():
            if isinstance(value, np.ndarray):
                expected = ref.state[q][key].numpy()
                np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)


def test_replacing_the_state_falls_back_to_the_per_parameter_path():
    ours, _ = _pair()
    opt = optim.Adam(ours, lr=0.01, foreach=True)
    for _ in range(3):
        for p in ours:
            p.grad = nn.Parameter(np.ones(p.shape), requires_grad=False)
        opt.step()
    before = ours[0].array.copy()
    opt.state[ours[0]]["exp_avg"] = np.zeros(ours[0].shape)  # a user edits the state
    for p in ours:
        p.grad = nn.Parameter(np.ones(p.shape), requires_grad=False)
    opt.step()
    # with m reset to zero the update is the per-parameter one, computed from the new array
    m = 0.1 * 1.0
    t = 4
    v = opt.state[ours[0]]["exp_avg_sq"]
    expected = before - 0.01 / (1 - 0.9**t) * m / (np.sqrt(v) / np.sqrt(1 - 0.999**t) + 1e-8)
    np.testing.assert_allclose(ours[0].array, expected, rtol=1e-12)


def _step_both(ours, theirs, opt, ref, rng):
    for p, q in zip(ours, theirs):
        g = rng.normal(size=p.shape)
        p.grad = nn.Parameter(g.copy(), requires_grad=False)
        q.grad = torch.tensor(g)
    opt.step()
    ref.step()


def test_parameters_nobody_holds_move_into_one_array_updated_in_place():
    ours, theirs = _pair()
    opt, ref = optim.Adam(ours, lr=0.01, foreach=True), torch.optim.Adam(theirs, lr=0.01)
    rng = np.random.default_rng(2)
    for _ in range(3):
        _step_both(ours, theirs, opt, ref, rng)
    flat = opt._flat[id(opt.param_groups[0])]
    assert flat.in_place
    base = ours[0].array.base
    assert base is not None and all(p.array.base is base for p in ours)
    # the flat array *is* the parameters: an update written there is what the model sees
    assert np.shares_memory(flat.param, ours[-1].array)
    for _ in range(5):
        _step_both(ours, theirs, opt, ref, rng)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_a_parameter_given_a_new_array_leaves_the_in_place_path_and_still_learns():
    ours, theirs = _pair()
    opt, ref = optim.Adam(ours, lr=0.01, foreach=True), torch.optim.Adam(theirs, lr=0.01)
    rng = np.random.default_rng(3)
    for _ in range(3):
        _step_both(ours, theirs, opt, ref, rng)
    assert opt._flat[id(opt.param_groups[0])].in_place
    ours[1].array = ours[1].array.copy()  # as p.array = ... or .double() would
    held = ours[1].array
    for _ in range(4):
        _step_both(ours, theirs, opt, ref, rng)
    assert ours[1].array is held  # its new array is updated, not a stale view
    assert not opt._flat[id(opt.param_groups[0])].in_place
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def _large_pair(seed=4):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=(100, 90)), rng.normal(size=(90,)), rng.normal(size=(90, 100))]
    return ([nn.Parameter(v.copy()) for v in values],
            [torch.tensor(v.copy(), requires_grad=True) for v in values])


@pytest.mark.parametrize("held", [False, True])
def test_large_parameters_go_flat_only_when_they_can_be_updated_in_place(held):
    ours, theirs = _large_pair()  # mean size above _FlatGroup.MAX_MEAN_SIZE
    arrays = [p.array for p in ours] if held else None
    opt, ref = optim.Adam(ours, lr=0.01, foreach=True), torch.optim.Adam(theirs, lr=0.01)
    rng = np.random.default_rng(5)
    for _ in range(4):
        _step_both(ours, theirs, opt, ref, rng)
    flat = opt._flat[id(opt.param_groups[0])]
    if held:  # copying 10,000 floats in and out each step would cost more than it saves
        assert flat is None and all(p.array is a for p, a in zip(ours, arrays))
    else:
        assert flat.in_place
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], ref.state[q]["exp_avg_sq"].numpy(),
                                   rtol=1e-10, atol=1e-14)


def test_with_foreach_false_every_parameter_is_updated_on_its_own():
    """foreach=False is the textbook loop, always: arrays never move, numbers as torch's."""
    ours, theirs = _pair()  # small parameters: None would batch them
    opt, ref = optim.Adam(ours, lr=0.01, foreach=False), torch.optim.Adam(theirs, lr=0.01)
    rng = np.random.default_rng(6)
    for _ in range(4):
        _step_both(ours, theirs, opt, ref, rng)
    assert not opt._flat and all(p.array.base is None for p in ours)
    assert opt.param_groups[0]["foreach"] is False
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_left_at_none_a_group_of_small_parameters_is_batched_with_torchs_numbers():
    """foreach=None: the implementation chooses, as in torch; many small parameters go batched,
    in every plain step() (a hand-written loop), and the numbers stay torch.optim's."""
    ours, theirs = _pair()
    opt, ref = optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    rng = np.random.default_rng(6)
    for _ in range(4):
        _step_both(ours, theirs, opt, ref, rng)
    assert opt._flat.get(id(opt.param_groups[0])) is not None
    assert opt.param_groups[0]["foreach"] is None  # the choice is not written into the group
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_the_option_is_kept_in_the_state_dict_as_torch_keeps_it():
    ours, theirs = _pair()
    saved = optim.SGD(ours, lr=0.1, foreach=True).state_dict()
    assert saved["param_groups"][0]["foreach"] is True
    assert torch.optim.SGD(theirs, lr=0.1).state_dict()["param_groups"][0]["foreach"] is None
    assert optim.SGD(ours, lr=0.1).state_dict()["param_groups"][0]["foreach"] is None


def _fit_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 3))
    return X, (X @ np.array([1.0, -2.0, 0.5]) > 0).astype(np.int64)


def _small_net():
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.mark.parametrize("foreach", [None, True, False])
def test_fit_keeps_the_users_choice_and_the_weights_do_not_depend_on_it(foreach):
    """fit steps as a plain step() does: None batches (many small parameters), True and False are
    kept and never rewritten; the weights are the same either way."""
    from chainrule.train import fit

    X, y = _fit_data()
    weights = {}
    for choice in (foreach, False):
        cr_seed = np.random.default_rng(3)
        model = _small_net()
        for p in model.parameters():
            p.array[...] = cr_seed.normal(size=p.shape)
        opt = optim.Adam(model.parameters(), lr=0.01, foreach=choice)
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=16, shuffle=False,
            verbose=0)
        batched = opt._flat.get(id(opt.param_groups[0])) is not None
        assert batched == (choice is not False)
        assert opt.param_groups[0]["foreach"] is choice  # the user's setting is never rewritten
        weights[choice] = [p.array.copy() for p in model.parameters()]
    for a, b in zip(weights[foreach], weights[False]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_steps_that_switch_between_paths_match_torch():
    """A group that leaves the batched path (foreach set to False between steps) drops its flat
    layout, so its shared step count cannot go stale when it is batched again; numbers as
    torch.optim's."""
    ours, theirs = _pair()
    opt, ref = optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    rng = np.random.default_rng(7)
    for phase in (None, False, None, False):
        opt.param_groups[0]["foreach"] = phase
        for _ in range(3):
            _step_both(ours, theirs, opt, ref, rng)
        assert (opt._flat.get(id(opt.param_groups[0])) is not None) == (phase is None)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert opt.state[p]["step"] == ref.state[q]["step"].item() == 12


def test_groups_of_large_parameters_left_at_none_keep_the_plain_loop():
    """Batching pays for small arrays only: left at None, large ones keep the plain loop."""
    n = int(np.sqrt(optim.foreach.SMALL)) + 1
    big = [nn.Parameter(np.ones((n, n))), nn.Parameter(np.ones((n, n)))]
    opt = optim.Adam(big, lr=0.01)
    for _ in range(2):
        for p in big:
            p.grad = nn.Parameter(np.ones((n, n)), requires_grad=False)
        opt.step()
    assert not any(opt._flat.values()) and all(p.array.base is None for p in big)


def _mixed_pair(seed=8):
    """A layer whose weight is above ``foreach.SMALL`` elements, and small ones around it."""
    rng = np.random.default_rng(seed)
    n = int(np.sqrt(optim.foreach.SMALL)) + 1
    values = [rng.normal(size=(n, n)), rng.normal(size=(n,)), rng.normal(size=(4, n)),
              rng.normal(size=(4,))]
    return ([nn.Parameter(v.copy()) for v in values],
            [torch.tensor(v.copy(), requires_grad=True) for v in values])


@pytest.mark.parametrize("make", [
    lambda ps, torch_: (optim.Adam if not torch_ else torch.optim.Adam)(ps, lr=0.01),
    lambda ps, torch_: (optim.SGD if not torch_ else torch.optim.SGD)(
        ps, lr=0.05, momentum=0.9, nesterov=True),
])
def test_left_at_none_the_small_parameters_are_batched_and_a_large_one_steps_alone(make):
    """foreach=None batches the parameters of at most SMALL elements (W1's biases and small
    layers) and leaves a larger one to its own call: its array never moves; numbers as torch's,
    also when a step without the small ones' gradients sends them back to the loop."""
    ours, theirs = _mixed_pair()
    big = ours[0].array
    opt, ref = make(ours, False), make(theirs, True)
    rng = np.random.default_rng(9)
    for step in range(8):
        if step == 5:  # the small ones cannot go flat this step: all of them take the loop
            ours[3].grad = theirs[3].grad = None
            for p, q in zip(ours[:3], theirs[:3]):
                g = rng.normal(size=p.shape)
                p.grad = nn.Parameter(g.copy(), requires_grad=False)
                q.grad = torch.tensor(g)
            opt.step()
            ref.step()
        else:
            _step_both(ours, theirs, opt, ref, rng)
        if step == 4:
            flat = opt._flat[id(opt.param_groups[0])]
            assert [id(p) for p in flat.params] == [id(p) for p in ours[1:]] and flat.in_place
            assert all(np.shares_memory(p.array, flat.param) for p in ours[1:])
            assert ours[0].array is big  # the large weight keeps its own array and call
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ours[0].array is big
