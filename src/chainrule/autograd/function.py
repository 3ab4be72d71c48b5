"""``Function``: a user's own differentiable op, as ``torch.autograd.Function`` has it.

::

    class MyReLU(Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    y = MyReLU.apply(x)

Two kinds of op live in chainrule, told apart by their base class:

- ``Function`` (this module, the public API): ``forward`` and ``backward`` receive and return
  **Tensors**, as in torch. ``forward`` runs under ``no_grad`` (its inside is one node, not a
  graph of its own), and so does ``backward``: gradients of gradients are not computed.
- ``ArrayFunction`` (``array_function.py``): chainrule's own ops in ``ops/``, whose ``forward``
  and ``backward`` work on the NumPy arrays inside the Tensors. That saves wrapping every
  intermediate value in a Tensor on the hot path; it is an inside detail, not something a user
  needs to write.

Both are nodes of the same graph (a Function *is* an ArrayFunction whose ``apply`` and whose
call from the engine put Tensors around the arrays), so trace, viz and gradcheck see no
difference. What torch's ctx offers works here: ``ctx.save_for_backward(*tensors)`` and
``ctx.saved_tensors``, ``ctx.needs_input_grad`` (one flag per argument of ``forward``: test it
to skip work), attributes set on ctx, non-tensor arguments (they get ``None`` as gradient),
several outputs (``backward`` gets one gradient each, zeros for an output the loss did not use),
``ctx.mark_non_differentiable(*outputs)`` (those outputs do not require grad; their gradient in
``backward`` is zeros), and ``None`` returned for an input that takes no gradient.
"""

import weakref

import numpy as np

from ..tensor import Tensor
from .anomaly import AnomalyMode, check_finite
from .array_function import ArrayFunction
from .capturing import recorders as _recorders
from .grad_mode import GradMode, no_grad

_make = Tensor._make


class Function(ArrayFunction):
    """Base class of a user's op: subclass it, write ``forward(ctx, ...)`` and
    ``backward(ctx, *grad_outputs)`` on Tensors, call ``YourOp.apply(...)``."""

    # _pieces: how the visible outputs sit in the node's one output (see _link); _zero_shapes:
    # each output's shape and dtype; _non_differentiable: the outputs forward marked.
    __slots__ = ("_pieces", "_zero_shapes", "_non_differentiable")
    takes_tensors = True

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the Tensors as given, under ``no_grad``, then link its outputs to
        one node of the graph when an input requires grad."""
        ctx = object.__new__(cls)
        ctx._saved = ()
        ctx._non_differentiable = ()
        ctx.inputs = tuple(a if isinstance(a, Tensor) else None for a in args)
        if any(t is None for t in ctx.inputs):
            ctx._constants = args
        with no_grad():
            returned = cls.forward(ctx, *args, **kwargs)
        several = isinstance(returned, (tuple, list))
        outputs = tuple(_as_output(cls, o) for o in (returned if several else (returned,)))
        if AnomalyMode.enabled:
            for o in outputs:
                check_finite(o.array, cls.__name__, "forward")
        records = GradMode.enabled and any(t is not None and t.requires_grad for t in ctx.inputs)
        if records:
            outputs = _link(ctx, outputs)
        else:
            outputs = tuple(_make(o.array) for o in outputs)
        if _recorders:  # chainrule.compile is capturing: it sees (and refuses) a user's op
            _recorders[-1](cls, args, kwargs, outputs[0])
        return tuple(outputs) if several else outputs[0]

    # -- torch's ctx API beyond ArrayFunction's --------------------------------------------
    def mark_non_differentiable(self, *outputs):
        """These outputs (Tensors that ``forward`` returns) get no gradient: an index, a mask."""
        self._non_differentiable = tuple(outputs)

    def _backward_on_tensors(self, grad):
        """What the engine calls: the node's one gradient array cut into one Tensor per output,
        the user's ``backward`` under ``no_grad``, and its Tensors back to arrays."""
        grad_outputs = []
        for piece in self._pieces:
            if piece is None:  # an output that takes no gradient: zeros, as torch passes
                grad_outputs.append(None)
            else:
                start, stop, shape, dtype = piece
                g = grad if start is None else grad[start:stop].reshape(shape)
                grad_outputs.append(_make(g.astype(dtype, copy=False)))
        for i, (g, shape_dtype) in enumerate(zip(grad_outputs, self._zero_shapes, strict=True)):
            if g is None:
                grad_outputs[i] = _make(np.zeros(*shape_dtype))
        with no_grad():
            grads = type(self).backward(self, *grad_outputs)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        return tuple(_grad_array(self, i, g) for i, g in enumerate(grads))


def _as_output(cls, o):
    if isinstance(o, Tensor):
        return o
    if isinstance(o, (np.ndarray, np.generic, int, float)):
        return _make(np.asarray(o))
    raise TypeError(f"{cls.__name__}.forward returned a {type(o).__name__}: it must return "
                    "Tensors (one, or a tuple of them)")


def _link(ctx, outputs):
    """Make the node's outputs. The engine gives a node one gradient, for one output; so with
    several differentiable outputs the node's output is their values laid end to end (a flat
    array no user sees) and each visible output is a ``_Piece`` of it, whose backward puts its
    gradient back in place. With one, that output is the node's output itself."""
    marked = {id(o) for o in ctx._non_differentiable}
    differentiable = [i for i, o in enumerate(outputs)
                      if id(o) not in marked and o.array.dtype.kind in "fc"]
    ctx._zero_shapes = [(o.shape, o.array.dtype) for o in outputs]
    result = [_make(o.array) for o in outputs]  # not differentiable unless linked below
    pieces = [None] * len(outputs)
    if len(differentiable) == 1:
        (i,) = differentiable
        pieces[i] = (None, None, outputs[i].shape, outputs[i].array.dtype)
        result[i] = _make(outputs[i].array, True, ctx)
        ctx._output_ref = weakref.ref(result[i])
    elif differentiable:
        arrays = [outputs[i].array for i in differentiable]
        joint = _make(np.concatenate([a.ravel() for a in arrays]), True, ctx)
        ctx._output_ref = weakref.ref(joint)
        start = 0
        for i, a in zip(differentiable, arrays, strict=True):
            pieces[i] = (start, start + a.size, a.shape, a.dtype)
            result[i] = _Piece.apply(joint, start, a.shape, a.dtype)
            start += a.size
    ctx._pieces = pieces
    return result


def _grad_array(ctx, i, g):
    if g is None:
        return None
    if isinstance(g, Tensor):
        return g.array
    if isinstance(g, (np.ndarray, np.generic, int, float)):
        return np.asarray(g)
    raise TypeError(f"{ctx.name}.backward returned a {type(g).__name__} as gradient {i}: "
                    "it must return Tensors (or None for an input that takes no gradient)")


class _Piece(ArrayFunction, elementwise=True, moves_elements=True, number_operands=False,
             infix=None):
    """One output of a Function with several: the elements [start, start + size) of the node's
    flat output, in the output's shape. Backward puts the gradient back there, zeros elsewhere."""

    @staticmethod
    def forward(ctx, joint, start, shape, dtype):
        size = int(np.prod(shape))
        ctx.where = (start, size, joint.shape, joint.dtype)
        return joint[start:start + size].reshape(shape).astype(dtype)

    @staticmethod
    def backward(ctx, g):
        start, size, joint_shape, joint_dtype = ctx.where
        full = np.zeros(joint_shape, joint_dtype)
        full[start:start + size] = g.ravel()
        return full, None, None, None
