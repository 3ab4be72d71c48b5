"""Replay: run a captured ``Program`` again on a new batch, forward and backward, with no graph.

Eager training builds a graph every step: a ``Tensor`` and a node per op, a topological sort of
the nodes, a dict of pending gradients, the checks of ``Function.apply``. A replay does none of
that. Everything that depends only on the shapes is decided once, here: one ctx per op (reused
every step), the order of the backward (the recorded order reversed, only the ops a gradient
reaches), which inputs need a gradient, and where each gradient goes. What remains per op is the
op's own ``forward`` and ``backward``, the same functions eager training calls.

A ``kernels`` table (``fused.py``) may stand in for an op's forward and backward: for an op class
in it, the replay calls the kernel's ``forward(ctx, *arrays)`` / ``backward(ctx, g)`` instead,
which must give the op's numbers (``tests/compiled`` checks each against the op).
"""

import numpy as np

from ..autograd.engine import sum_to

_ndarray = np.ndarray


class _Input:
    """What ``ctx.inputs[i]`` is during a replay: all a backward asks of it is requires_grad."""

    __slots__ = ("requires_grad",)

    def __init__(self, requires_grad):
        self.requires_grad = requires_grad


def new_ctx(cls, needs):
    """A ctx for op ``cls`` outside any graph: ``needs[i]`` says whether input i needs a
    gradient (``ctx.needs_grad(i)`` for the op's backward, ``ctx.needs`` for kernels)."""
    ctx = object.__new__(cls)
    ctx.inputs = tuple(_Input(n) for n in needs)
    ctx.needs = tuple(needs)
    ctx._saved = ()
    return ctx


class _Step:
    """One op of the replay: its ctx, where its arguments are, where its output goes."""

    __slots__ = ("forward", "backward", "writes_grads_into", "ctx", "args", "kwargs", "out",
                 "dtype", "grad_to")

    def __init__(self, node, kernels):
        cls = node.cls
        kernel = kernels.get(cls)
        impl = kernel if kernel is not None else cls
        self.forward, self.backward = impl.forward, impl.backward
        self.writes_grads_into = getattr(impl, "writes_grads_into", False)
        self.ctx = new_ctx(cls, node.needs)
        self.args, self.kwargs, self.out, self.dtype = node.args, node.kwargs, node.out, node.dtype
        # (input position, its slot) for each input a gradient must reach
        self.grad_to = tuple((i, s) for i, (s, n) in enumerate(zip(node.args, node.needs)) if n)


class Replay:
    """A program made ready to run: ``run(x, y, params)`` returns the loss and the gradients."""

    def __init__(self, program, kernels=None):
        self.program = program
        kernels = kernels or {}
        self.steps = [_Step(node, kernels) for node in program.nodes]
        self.values = [None] * program.n_slots
        for slot, value in program.constants.items():
            self.values[slot] = value
        grad = program.requires_grad
        # the backward visits, last op first, the ops whose output a gradient reaches
        self.backward_steps = [s for s in reversed(self.steps) if grad[s.out] and s.grad_to]
        self.loss = program.loss
        self.output = program.output
        self.n_params = program.n_params

    def write_grads_into(self, views):
        """Let kernels that can (``buffered.Linear``) write parameter ``i``'s gradient straight
        into ``views[i]``; only for a parameter used once, whose gradient is one op's alone."""
        uses = {}
        for step in self.steps:
            for slot in step.args:
                uses[slot] = uses.get(slot, 0) + 1
        first, stop = 2, 2 + self.n_params
        for step in self.steps:
            if step.writes_grads_into:
                step.ctx.grad_into = tuple(
                    views[s - first] if first <= s < stop and uses[s] == 1 else None
                    for s in step.args)

    def run(self, x, y, params, skip_nonfinite=False):
        """Forward, loss and backward on arrays; returns (loss array, one gradient per param).
        The model's output stays in ``values[self.output]`` until the next run.
        ``skip_nonfinite``: a NaN or infinite loss returns (loss, None) before the backward,
        which would write gradients into buffers that ``p.grad`` may share."""
        values = self.values
        values[0], values[1] = x, y
        values[2:2 + len(params)] = params
        # inf and NaN arrive silently, as in the engine's backward: set once for the whole step
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            for step in self.steps:
                out = step.forward(step.ctx, *[values[s] for s in step.args], **step.kwargs)
                if type(out) is not _ndarray:
                    out = np.asarray(out)
                if out.dtype != step.dtype:  # torch's float32 rule, as Function.apply has it
                    out = out.astype(step.dtype)
                values[step.out] = out
            loss = values[self.loss]
            if skip_nonfinite and not np.isfinite(loss).all():
                return loss, None
            grads = self._backward(loss)
        return loss, grads[2:2 + len(params)]

    def _backward(self, loss):
        values = self.values
        grads = [None] * len(values)
        owned = set()  # slots whose gradient buffer we allocated (safe to add into)
        grads[self.loss] = np.ones(loss.shape, loss.dtype)
        for step in self.backward_steps:
            g = grads[step.out]
            if g is None:
                continue
            local = step.backward(step.ctx, g)
            if type(local) is not tuple:
                local = (local,) if not isinstance(local, list) else tuple(local)
            for i, slot in step.grad_to:
                gi = local[i] if i < len(local) else None
                if gi is None:
                    continue
                target = values[slot]
                if gi.shape != target.shape:  # broadcasting undone, as the engine does
                    gi = sum_to(gi, target.shape)
                if gi.dtype != target.dtype:
                    gi = gi.astype(target.dtype)
                prev = grads[slot]
                if prev is None:
                    grads[slot] = gi
                elif slot in owned:
                    prev += gi
                else:
                    grads[slot] = prev + gi
                    owned.add(slot)
            step.ctx._saved = ()  # what forward saved is no longer needed
        return grads
