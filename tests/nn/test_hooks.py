"""Forward hooks on Module: torch's register_forward_hook / register_forward_pre_hook."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.nn.recording import record_outputs


def both_linears():
    """A chainrule and a torch Linear(3, 2) with the same weights, and one float64 input."""
    ours = nn.Linear(3, 2).double()
    theirs = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.array))
        theirs.bias.copy_(torch.tensor(ours.bias.array))
    x = np.random.default_rng(0).normal(size=(4, 3))
    return ours, theirs, x


def calls_and_output(layer, x, tensor):
    """The same hooks on a chainrule or torch layer; what they saw and the output."""
    seen = []

    def pre(module, args):
        seen.append(("pre", module is layer, len(args), tuple(args[0].shape)))
        return args[0] * 2  # one value, not a tuple: becomes the 1-tuple of inputs

    def first(module, args, output):
        seen.append(("first", tuple(args[0].shape), round(float(args[0].detach().sum()), 9)))
        return output + 1  # replaces the output

    def second(module, args, output):
        # sees the first hook's output
        seen.append(("second", True, round(float(output.detach().sum()), 9)))
        # returns None: the output stays

    layer.register_forward_pre_hook(pre)
    layer.register_forward_hook(first)
    layer.register_forward_hook(second)
    out = layer(tensor(x))
    return seen, out.detach().numpy()


def test_hooks_see_and_replace_as_in_torch():
    ours, theirs, x = both_linears()
    seen_ours, out_ours = calls_and_output(ours, x, cr.tensor)
    seen_theirs, out_theirs = calls_and_output(theirs, x, torch.tensor)
    assert [s[0] for s in seen_ours] == ["pre", "first", "second"]
    assert seen_ours == seen_theirs
    np.testing.assert_allclose(out_ours, out_theirs, rtol=1e-12)


def test_a_removed_hook_is_not_called_again():
    layer = nn.Linear(2, 2)
    calls = []
    handle = layer.register_forward_hook(lambda m, args, out: calls.append(1))
    layer(cr.ones(1, 2))
    handle.remove()
    handle.remove()  # a second remove does nothing, as torch's
    layer(cr.ones(1, 2))
    assert calls == [1]
    assert not layer._forward_hooks


def test_a_handle_is_a_context_manager():
    layer = nn.Tanh()
    calls = []
    with layer.register_forward_pre_hook(lambda m, args: calls.append(1)):
        layer(cr.ones(2))
    layer(cr.ones(2))
    assert calls == [1]


def test_gradients_flow_through_a_replaced_output():
    layer = nn.Linear(2, 1)
    layer.register_forward_hook(lambda m, args, out: out * 3)
    layer(cr.ones(1, 2)).sum().backward()
    np.testing.assert_allclose(layer.bias.grad.numpy(), [3.0])


def test_a_hook_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable"):
        nn.Linear(2, 2).register_forward_hook("print")


def test_recording_leaves_a_users_hook_in_place_and_takes_its_own_off():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    mine = []
    model[0].register_forward_hook(lambda m, args, out: mine.append(out.shape))
    with record_outputs(model) as records:
        model(cr.ones(5, 2))
    model(cr.ones(4, 2))
    assert [type(m).__name__ for _, m, _ in records] == ["Linear", "ReLU", "Linear"]
    assert mine == [(5, 3), (4, 3)]
    assert [len(m._forward_hooks) for m in model] == [1, 0, 0]


def test_summary_inside_a_recording_still_sees_every_layer():
    """Tools that patched forward broke each other; hooks stack."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    with record_outputs(model) as outer:
        text = model.summary((2,), print_fn=None)
        model(cr.ones(1, 2))
    assert "Linear" in text and "Tanh" in text
    assert len(outer) == 4  # the summary's batch and this one, two layers each
