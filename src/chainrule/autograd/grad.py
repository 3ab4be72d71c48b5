"""``autograd.grad``: the gradients of outputs with respect to chosen inputs, returned, not stored.

``loss.backward()`` adds d(loss)/d(leaf) into every leaf's ``.grad``; ``grad(loss, [w])`` runs the
same backward pass but hands d(loss)/dw back and leaves every ``.grad`` as it was. Handy for a
gradient penalty's value, for checking one gradient, or for an update written by hand.
"""

import numpy as np

from ..tensor import Tensor
from .engine import run_backward


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, *, materialize_grads=False):
    """d(outputs)/d(inputs) as a tuple of Tensors, one per input, as ``torch.autograd.grad``.

    ``outputs``: a Tensor or a sequence of them (their gradients add up); ``grad_outputs``: dL/d
    each output (defaults to 1 for a scalar output). The graph is freed afterwards unless
    ``retain_graph=True``. An input the outputs do not depend on is an error, or ``None`` with
    ``allow_unused=True`` (zeros with ``materialize_grads=True``). First order only:
    ``create_graph=True`` is refused.
    """
    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): chainrule computes first-"
                                  "order gradients only (no gradients of gradients)")
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs, "grad_outputs", allow_none=True)
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"autograd.grad: {len(grad_outputs)} grad_outputs for "
                             f"{len(outputs)} outputs: give one per output")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad: only tensors "
                               "with requires_grad=True (or computed from one) have a gradient")
    captured = {id(t): None for t in inputs}
    last = len(outputs) - 1
    for k, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not out.requires_grad:
            raise RuntimeError(f"autograd.grad: element {k} of outputs does not require grad "
                               "and has no grad_fn")
        seed = _seed(out, g, k)
        if out.grad_fn is None:  # the output is one of the leaves itself
            if id(out) in captured:
                prev = captured[id(out)]
                captured[id(out)] = seed.copy() if prev is None else prev + seed
            continue
        retain = bool(retain_graph) if k == last else True  # later outputs share the graph
        run_backward(out, seed, retain_graph=retain, captured=captured)
    return tuple(_result(t, captured[id(t)], i, allow_unused, materialize_grads)
                 for i, t in enumerate(inputs))


def _as_tuple(x, what, allow_none=False):
    items = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    for i, t in enumerate(items):
        if not (isinstance(t, Tensor) or (allow_none and t is None)):
            raise TypeError(f"autograd.grad: {what}[{i}] is a {type(t).__name__}, "
                            "not a Tensor")
    return items


def _seed(out, g, k):
    """dL/d(output k): the given grad_output, or 1 for a scalar output."""
    if g is None:
        if out.array.size != 1:
            raise RuntimeError(f"autograd.grad: grad can be implicitly created only for scalar "
                               f"outputs; output {k} has shape {tuple(out.shape)}: pass "
                               "grad_outputs")
        return np.ones(out.array.shape, out.array.dtype)
    seed = np.asarray(g.array, dtype=out.array.dtype)
    if seed.shape != out.array.shape:
        raise RuntimeError(f"autograd.grad: grad_outputs[{k}] has shape {tuple(seed.shape)} "
                           f"but output {k} has shape {tuple(out.shape)}")
    return seed


def _result(t, g, i, allow_unused, materialize_grads):
    if g is None:
        if materialize_grads:
            return Tensor._make(np.zeros_like(t.array))
        if not allow_unused:
            raise RuntimeError(f"autograd.grad: input {i} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
        return None
    return Tensor._make(np.asarray(g, dtype=t.array.dtype))
