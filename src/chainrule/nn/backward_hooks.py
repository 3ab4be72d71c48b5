"""Backward hooks on a module: ``register_full_backward_hook`` and ``..._pre_hook``, as torch.

A module is many nodes of the graph, so "the gradient at the module" lives on its edges: what
comes into its outputs (``grad_output``, dL/d output) and what leaves through its inputs
(``grad_input``, dL/d input). To see them, a call of a hooked module puts an identity node on
each edge, as torch does: ``_OutputGate`` after the output and ``_InputGate`` before each tensor
input. Their backward passes the gradient on unchanged, after calling the hooks:

- ``_OutputGate`` records grad_output and calls the pre-hooks, ``hook(module, grad_output)``,
  which may return a new grad_output;
- the last ``_InputGate`` to get its gradient calls the hooks,
  ``hook(module, grad_input, grad_output)``, which may return a new grad_input. When no input
  requires grad (the first layer), the hooks run at the output gate with grad_input all None.

Only a call of a module with backward hooks pays for this (``Module.__call__`` checks once).
"""

from ..autograd.array_function import ArrayFunction
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor

_make = Tensor._make


class _CallRecord:
    """One call of a hooked module: the gradients its gates see during backward."""

    def __init__(self, module, n_inputs, wanted):
        self.module = module
        self.grad_input = [None] * n_inputs  # one per tensor argument, in order
        self.wanted = wanted  # how many input gradients will arrive
        self.arrived = 0
        self.grad_output = (None,)

    def run_hooks(self):
        """Call the full backward hooks; returns the grad_input tuple the last one left."""
        grad_input = tuple(self.grad_input)
        for hook in list(self.module._backward_hooks.values()):
            new = hook(self.module, grad_input, self.grad_output)
            if new is not None:
                new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
                if len(new) != len(grad_input):
                    raise RuntimeError(
                        f"{type(self.module).__name__}: a full backward hook returned "
                        f"{len(new)} gradients for {len(grad_input)} inputs")
                grad_input = new
        return grad_input


def call_with_backward_hooks(module, forward, args, kwargs):
    """``forward(*args, **kwargs)`` with gates on its tensor inputs and its output."""
    if not GradMode.enabled:
        return forward(*args, **kwargs)
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    record = _CallRecord(module, len(positions),
                         sum(args[i].requires_grad for i in positions))
    args = list(args)
    for k, i in enumerate(positions):
        if args[i].requires_grad:
            args[i] = _InputGate.apply(args[i], record, k)
    output = forward(*args, **kwargs)
    if not isinstance(output, Tensor):
        raise NotImplementedError(
            f"{type(module).__name__}: full backward hooks need a module that returns one "
            f"Tensor; it returned a {type(output).__name__}")
    if output.requires_grad:
        output = _OutputGate.apply(output, record)
    return output


class _OutputGate(ArrayFunction, elementwise=True, moves_elements=False, number_operands=False,
                  infix=None):
    """Identity on a hooked module's output; its backward sees grad_output."""

    @staticmethod
    def forward(ctx, x, record):
        ctx.record = record
        return x

    @staticmethod
    def backward(ctx, g):
        record = ctx.record
        grad_output = (_make(g),)
        module = record.module
        for hook in list(module._backward_pre_hooks.values()):
            new = hook(module, grad_output)
            if new is not None:
                grad_output = tuple(new) if isinstance(new, (tuple, list)) else (new,)
        record.grad_output = grad_output
        if record.wanted == 0:  # no input gate will call the hooks: call them here
            record.run_hooks()
        return grad_output[0].array, None


class _InputGate(ArrayFunction, elementwise=True, moves_elements=False, number_operands=False,
                 infix=None):
    """Identity on a hooked module's k-th tensor input; its backward sees grad_input."""

    @staticmethod
    def forward(ctx, x, record, k):
        ctx.record, ctx.k = record, k
        return x

    @staticmethod
    def backward(ctx, g):
        record, k = ctx.record, ctx.k
        record.grad_input[k] = _make(g)
        record.arrived += 1
        if record.arrived < record.wanted:
            return g, None, None
        original = tuple(record.grad_input)
        grad_input = record.run_hooks()
        changed = [j for j, (new, old) in enumerate(zip(grad_input, original, strict=True))
                   if new is not old and j != k]
        if changed:  # the other inputs' gates have already sent their gradients on
            raise NotImplementedError(
                f"{type(record.module).__name__}: a full backward hook replaced the gradient of "
                f"input {changed[0]}, which had already gone on; chainrule lets a hook replace "
                "grad_input only of a module with one input that requires grad")
        new = grad_input[k]
        return (g if new is None else new.array), None, None
