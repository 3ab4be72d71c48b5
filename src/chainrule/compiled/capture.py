"""Capture: run one step's forward and loss eagerly and write down every op it ran.

What is recorded is the eager ops themselves (their ``Function`` class, arguments and output), so
a replay computes with the same ``forward`` and ``backward`` as eager training: each op's math
keeps its one definition. Every value the step touches gets a *slot*: the batch (``x``, ``y``),
the optimizer's parameters, constants (numbers, axes, tensors that depend on nothing the step
changes) and each op's output. A replay fills the first three and recomputes the rest.

As with ``jax.jit``, Python runs once, at capture: Python control flow that reads tensor values
(``if loss.item() > 1``, ``bool(x.sum() > 0)``) cannot be replayed, so capture refuses it by
name, as it refuses an op whose class says it cannot be replayed and a tensor that needs a
gradient the optimizer does not hold.
"""

from ..autograd import capturing, enable_grad
from ..tensor import Tensor

X, Y = 0, 1  # the batch's slots; the parameters follow


class CaptureError(RuntimeError):
    """A training step that ``chainrule.compile`` cannot capture; the message says what."""


class Node:
    """One recorded op: its class, the slots of its arguments, its output slot, and which of its
    inputs need a gradient (what ``ctx.needs_grad(i)`` answers in its backward)."""

    __slots__ = ("cls", "args", "kwargs", "out", "needs", "shape", "dtype")

    def __init__(self, cls, args, kwargs, out, needs, shape, dtype):
        self.cls, self.args, self.kwargs, self.out = cls, args, kwargs, out
        self.needs, self.shape, self.dtype = needs, shape, dtype

    @property
    def name(self):
        return self.cls.__name__


class Program:
    """A captured step: ``n_slots`` values, the constants' values, the ops in the order they ran,
    the loss's slot and, per slot, whether a gradient flows to it."""

    def __init__(self, n_params, constants, nodes, loss, output, requires_grad, n_slots, key):
        self.n_params = n_params
        self.constants = constants  # slot -> value
        self.nodes = nodes
        self.loss = loss
        self.output = output  # the model's output (for metrics), or None if not a recorded value
        self.requires_grad = requires_grad  # one flag per slot
        self.n_slots = n_slots
        self.key = key

    def param_slot(self, i):
        return 2 + i


class _Recorder:
    """What ``Function.apply`` reports to while a step is captured."""

    def __init__(self):
        self.calls = []

    def __call__(self, cls, args, kwargs, result):
        self.calls.append((cls, args, kwargs, result))

    def refuse_value_read(self, what):
        raise CaptureError(
            f"chainrule.compile cannot capture {what}: the step reads a tensor's value into "
            "Python, which a replay cannot follow (data-dependent Python control flow). Move it "
            "out of the model and loss, or train this model without compile")


def capture(model, loss_fn, params, x, y, key):
    """Run ``loss_fn(model(x), y)`` once, recording its ops; returns the ``Program``."""
    recorder = _Recorder()
    capturing.recorders.append(recorder)
    try:
        with enable_grad():
            output = model(x)
            loss = loss_fn(output, y)
    finally:
        capturing.recorders.remove(recorder)
    if not isinstance(loss, Tensor):
        raise CaptureError(f"chainrule.compile: the loss function returned a "
                           f"{type(loss).__name__}, not a Tensor")
    if loss.array.size != 1:
        raise CaptureError(f"chainrule.compile: the loss must be one number, it has shape "
                           f"{tuple(loss.shape)} (use reduction='mean' or 'sum')")
    if not loss.requires_grad:
        raise CaptureError("chainrule.compile: the loss does not depend on any parameter that "
                           "requires grad: there is nothing to train")
    return _program(recorder.calls, params, x, y, loss, output, key)


def _program(calls, params, x, y, loss, output, key):
    slot_of = {id(x): X, id(y): Y, id(x.array): X, id(y.array): Y}
    keep = [x, y, loss, output]  # the ids above stay valid while these live
    requires_grad = [False, False]
    for i, p in enumerate(params):
        slot_of[id(p)] = 2 + i
        requires_grad.append(True)
    constants = {}
    nodes = []

    def new_slot(grad):
        requires_grad.append(grad)
        return len(requires_grad) - 1

    def slot_for(value, cls):
        found = slot_of.get(id(value))
        if found is not None:
            return found
        if isinstance(value, Tensor) and value.requires_grad:
            raise CaptureError(
                f"chainrule.compile: an input of {cls.__name__} requires grad but the optimizer "
                "does not hold it (a parameter left out of the optimizer, or a tensor made "
                "outside the step that requires grad); give it to the optimizer or detach it")
        slot = new_slot(False)
        constants[slot] = value.array if isinstance(value, Tensor) else value
        keep.append(value)
        slot_of[id(value)] = slot
        return slot

    for cls, args, kwargs, result in calls:
        _check_capturable(cls)
        arg_slots = tuple(slot_for(a, cls) for a in args)
        needs = tuple(requires_grad[s] and isinstance(a, Tensor) for s, a in zip(arg_slots, args))
        out = new_slot(result.requires_grad)
        slot_of[id(result)] = out
        keep.append(result)
        nodes.append(Node(cls, arg_slots, dict(kwargs), out, needs, result.array.shape,
                          result.array.dtype))
    if id(loss) not in slot_of:
        raise CaptureError("chainrule.compile: the loss was not computed by the step's ops")
    return Program(len(params), constants, nodes, slot_of[id(loss)], slot_of.get(id(output)),
                   requires_grad, len(requires_grad), key)


def _check_capturable(cls):
    """An op may be replayed if its forward depends only on its arguments. The library's ops
    do, unless their class says otherwise (``capturable = False``); an op defined elsewhere must
    say so (``capturable = True``), as nobody has checked it."""
    capturable = getattr(cls, "capturable", None)
    if capturable is None:
        capturable = cls.__module__.startswith("chainrule.")
    if not capturable:
        reason = getattr(cls, "not_capturable_because", None) or (
            "it is defined outside chainrule, so nobody has checked that its forward depends only "
            "on its arguments; if it does, set capturable = True on the class")
        raise CaptureError(f"chainrule.compile cannot capture the op {cls.__name__}: {reason}")
