"""``register_full_backward_hook`` / ``register_full_backward_pre_hook`` against torch: the hooks
see the same grad_input and grad_output, and what they return changes backward the same way."""

import numpy as np
import pytest
import torch

import chainrule as cr

# torch warns when the first layer's hook fires with no input requiring grad; chainrule does not
pytestmark = pytest.mark.filterwarnings("ignore:Full backward hook is firing")
RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 4))


def model(lib):
    """The same small network in either library, with the same weights."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    net = net.double()
    if lib is torch:
        return net
    ours = cr.nn.Sequential(cr.nn.Linear(4, 3), cr.nn.Tanh(), cr.nn.Linear(3, 2)).double()
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in net.state_dict().items()})
    return ours


def as_numpy(grads):
    return [None if g is None else g.detach().numpy().copy() for g in grads]


def run(lib, register, x_requires_grad=False):
    """Hook every layer with ``register(layer, log)``, run one forward and backward."""
    net = model(lib)
    log = []
    for i, layer in enumerate(net):
        register(layer, log, i)
    x = lib.tensor(X, requires_grad=x_requires_grad)
    net(x).pow(2).sum().backward()
    return log, [p.grad.numpy() for p in net.parameters()], x.grad


def assert_same_log(ours, theirs):
    assert [entry[0] for entry in ours] == [entry[0] for entry in theirs]
    for (_, *a), (_, *b) in zip(ours, theirs, strict=True):
        for ga, gb in zip(a, b, strict=True):
            assert len(ga) == len(gb)
            for u, v in zip(ga, gb, strict=True):
                assert (u is None) == (v is None)
                if u is not None:
                    np.testing.assert_allclose(u, v, rtol=1e-12)


def watch(layer, log, i):
    layer.register_full_backward_hook(
        lambda m, gin, gout: log.append((i, as_numpy(gin), as_numpy(gout))))


@pytest.mark.parametrize("x_requires_grad", [False, True])
def test_the_hooks_see_torchs_grad_input_and_grad_output(x_requires_grad):
    ours, _, x_grad = run(cr, watch, x_requires_grad)
    theirs, _, tx_grad = run(torch, watch, x_requires_grad)
    assert [entry[0] for entry in ours] == [2, 1, 0]  # from the loss back
    assert_same_log(ours, theirs)
    assert (x_grad is None) == (tx_grad is None)


def test_a_hook_that_returns_grad_input_changes_backward_as_torch():
    def double_the_tanh(layer, log, i):
        if i == 1:
            layer.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 2,))

    _, ours, _ = run(cr, double_the_tanh)
    _, theirs, _ = run(torch, double_the_tanh)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_pre_hook_sees_and_replaces_grad_output_as_torch():
    def halve_output_grad(layer, log, i):
        def pre(m, gout):
            log.append((i, as_numpy(gout)))
            return (gout[0] * 0.5,)
        layer.register_full_backward_pre_hook(pre)

    ours, grads, _ = run(cr, halve_output_grad)
    theirs, tgrads, _ = run(torch, halve_output_grad)
    assert_same_log(ours, theirs)
    for a, b in zip(grads, tgrads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_removed_hook_is_not_called_and_the_module_runs_unhooked():
    layer = cr.nn.Linear(4, 3)
    calls = []
    handle = layer.register_full_backward_hook(lambda m, gin, gout: calls.append(1))
    layer(cr.tensor(X)).sum().backward()
    handle.remove()
    out = layer(cr.tensor(X))
    assert out.grad_fn.name == "Linear"  # no gate node once no hook is on
    out.sum().backward()
    assert calls == [1]


def test_no_hook_runs_inside_no_grad_and_a_non_callable_is_refused():
    layer = cr.nn.Linear(4, 3)
    calls = []
    layer.register_full_backward_hook(lambda m, gin, gout: calls.append(1))
    with cr.no_grad():
        assert layer(cr.tensor(X)).grad_fn is None
    with pytest.raises(TypeError, match="register_full_backward_hook: the hook must be callable"):
        layer.register_full_backward_hook(3)
