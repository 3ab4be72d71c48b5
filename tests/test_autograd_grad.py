"""``chainrule.autograd.grad`` against ``torch.autograd.grad``: the same gradients, returned
without touching any ``.grad``, and torch's errors."""

import numpy as np
import pytest
import torch

import chainrule as cr

RNG = np.random.default_rng(0)
W, B, X = RNG.standard_normal((3, 4)), RNG.standard_normal(3), RNG.standard_normal((5, 4))


def network(lib):
    w = lib.tensor(W, requires_grad=True)
    b = lib.tensor(B, requires_grad=True)
    h = lib.tensor(X) @ w.T + b
    return w, b, h


def test_grad_of_a_loss_matches_torch_and_leaves_grad_alone():
    results = []
    for lib in (cr, torch):
        w, b, h = network(lib)
        loss = h.tanh().pow(2).mean()
        gw, gb = lib.autograd.grad(loss, [w, b])
        assert w.grad is None and b.grad is None
        results.append((gw.numpy(), gb.numpy()))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_grad_of_an_intermediate_tensor_and_grad_outputs():
    upstream = RNG.standard_normal((5, 3))
    results = []
    for lib in (cr, torch):
        w, b, h = network(lib)
        out = h.sigmoid()
        (gh, gw) = lib.autograd.grad(out, (h, w), grad_outputs=lib.tensor(upstream))
        results.append((gh.numpy(), gw.numpy()))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_gradients_of_several_outputs_add_up():
    results = []
    for lib in (cr, torch):
        w, b, h = network(lib)
        (gw,) = lib.autograd.grad([h.sum(), (h * h).sum()], [w])
        results.append(gw.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_an_existing_grad_is_neither_used_nor_changed():
    w, b, h = network(cr)
    h.sum().backward(retain_graph=True)
    before = w.grad.numpy().copy()
    (gw,) = cr.autograd.grad(h.sum(), w)
    np.testing.assert_array_equal(w.grad.numpy(), before)
    np.testing.assert_allclose(gw.numpy(), before)


def test_an_unused_input_is_an_error_unless_allowed():
    for lib in (cr, torch):
        w, b, h = network(lib)
        unused = lib.tensor(1.0, requires_grad=True)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(h.sum(), [w, unused], retain_graph=True)
        gw, none = lib.autograd.grad(h.sum(), [w, unused], allow_unused=True)
        assert none is None and gw.shape == (3, 4)


def test_torch_errors_for_inputs_and_outputs_without_grad():
    for lib in (cr, torch):
        w, b, h = network(lib)
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad(h.sum(), [lib.tensor(1.0)])
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad(lib.tensor(1.0), [w])
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
            lib.autograd.grad(h, [w])


def test_the_graph_is_freed_unless_retained():
    w, b, h = network(cr)
    loss = h.sum()
    cr.autograd.grad(loss, [w], retain_graph=True)
    cr.autograd.grad(loss, [w])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        cr.autograd.grad(loss, [w])


def test_create_graph_is_refused_by_name():
    w, b, h = network(cr)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        cr.autograd.grad(h.sum(), [w], create_graph=True)
