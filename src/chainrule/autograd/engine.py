"""Backpropagation: walk the graph from the loss back to the leaves.

1. Order the nodes so that every node comes after all the nodes that use its output (an iterative
   depth-first search: no recursion, so a chain of 100,000 ops is fine).
2. Visit them from the loss down. Each node receives the *upstream* gradient dL/d(output), applies
   its local gradient (``Function.backward``) and sends one gradient to each input: the chain rule.
3. Where a value was used twice the gradients that meet are *added* (paths branch, gradients sum).
   A gradient of a broadcast input is summed back to the input's shape here, once, for every op.
4. Leaves (tensors the user made) collect their gradient in ``.grad``, adding to what is there.
"""

import math

import numpy as np

from ..backend import sum_rows, unshared
from ..errors import ShapeError
from .anomaly import AnomalyMode, check_finite

_ndarray = np.ndarray
_generic = np.generic
_observers = []


# -- broadcasting ------------------------------------------------------------------------------
_reduce_axes_cache = {}


def sum_to(grad, shape):
    """Sum ``grad`` over the axes broadcasting copied, so it gets ``shape`` back.

    If ``x`` of shape (3, 1) was broadcast to (2, 3, 4), each element of ``x`` was used 2·4 times,
    so its gradient is the sum of those 8 upstream gradients (paths branch, gradients add).
    """
    key = (grad.shape, shape)
    plan = _reduce_axes_cache.get(key)
    if plan is None:
        lead = grad.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
        )
        # Summing only leading axes (a bias added to a batch) is a sum over the rows of a matrix
        leading = axes and axes == tuple(range(len(axes)))
        matrix = (math.prod(grad.shape[:len(axes)]), math.prod(grad.shape[len(axes):]))
        plan = _reduce_axes_cache[key] = (axes, matrix if leading else None)
    axes, matrix = plan
    if matrix is not None:
        grad = sum_rows(grad.reshape(matrix))
    elif axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


# -- observing a backward pass (the learning tools use this) ------------------------------------
class BackwardStep:
    """What one node did during backward: the upstream gradient it got and what it sent on."""

    __slots__ = ("node", "grad_output", "grad_inputs")

    def __init__(self, node, grad_output, grad_inputs):
        self.node = node
        self.grad_output = grad_output
        self.grad_inputs = grad_inputs  # one array (or None) per input, already in its shape

    def __repr__(self):
        return f"BackwardStep({self.node.name})"


class ObserverHandle:
    def __init__(self, fn):
        self.fn = fn

    def remove(self):
        if self.fn in _observers:
            _observers.remove(self.fn)


def register_backward_observer(fn):
    """Call ``fn(step: BackwardStep)`` for every node of every backward pass, until removed.

    Nothing is paid while no observer is registered: the engine checks one list once per pass.
    """
    _observers.append(fn)
    return ObserverHandle(fn)


class observe_backward:  # noqa: N801 - reads like the other context managers
    """``with observe_backward() as steps: loss.backward()`` collects every ``BackwardStep``."""

    def __init__(self, fn=None):
        self.steps = []
        self._fn = fn if fn is not None else self.steps.append

    def __enter__(self):
        self._handle = register_backward_observer(self._fn)
        return self.steps

    def __exit__(self, *exc):
        self._handle.remove()
        return False


# -- the pass itself ------------------------------------------------------------------------------
def topological_order(root_node):
    """Nodes reachable from ``root_node``, each after every node that consumes its output."""
    order = []
    visited = {root_node}
    stack = [(root_node, iter(root_node.inputs))]
    while stack:
        node, inputs = stack[-1]
        for t in inputs:
            if t is not None:
                fn = t.grad_fn
                if fn is not None and fn not in visited:
                    visited.add(fn)
                    stack.append((fn, iter(fn.inputs)))
                    break
        else:
            stack.pop()
            order.append(node)
    order.reverse()  # root first, leaves' consumers last
    return order


def run_backward(root, grad, retain_graph=False):
    """Backpropagate ``grad`` (dL/d root, an array of root's shape) through root's graph.

    The steps of DeZero's ``Variable.backward``, marked 1–4 below: order the nodes; for each,
    take the gradient its output collected and run its ``backward`` (the chain rule at that
    node); fit each input's gradient to the input (broadcasting undone, dtype); hand it on: a
    leaf adds it to ``.grad``, another node's output adds it to what that node collects. The
    steps stay inline in one loop: as separate functions the backward of the 100-op chain took
    twice as long (benchmarks/compare_trees.py, "chain fwd+bwd": 4.8 -> 9.3 µs/op).

    A gradient that overflows, or meets inf − inf or 0·inf, is inf or NaN as in torch, which says
    nothing (``detect_anomaly`` finds it): NumPy's warnings are off for the pass, set once here
    rather than once per node.
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        _backpropagate(root, grad, retain_graph)


def _backpropagate(root, grad, retain_graph):
    order = topological_order(root.grad_fn)  # 1. every node after the nodes that use its output
    pending = {root.grad_fn: grad}  # node -> dL/d(its output), summed over paths so far
    owned = set()  # nodes whose pending buffer we allocated, so adding in place is safe
    observers = list(_observers)
    anomaly = AnomalyMode.enabled
    pop = pending.pop
    for node in order:
        g = pop(node, None)
        if g is None:
            continue  # no path from the loss carries gradient here
        if node._saved is None:
            raise RuntimeError(
                f"backward through {node.name} a second time: its saved values were freed by the "
                "first backward(). Pass retain_graph=True to the first call to backward twice."
            )
        if node._retain_output_grad:
            out = node._output_ref()
            if out is not None:
                _accumulate_leaf(out, g.copy())
        grads = node.backward(node, g)  # 2. the chain rule at this node
        if type(grads) is not tuple:
            grads = (grads,) if not isinstance(grads, list) else tuple(grads)
        inputs = node.inputs
        n = len(grads)
        if n != len(inputs):
            _check_grad_count(node, grads, inputs)
            n = min(n, len(inputs))
        sent = [None] * len(inputs) if observers else None
        for i in range(n):
            t = inputs[i]
            if t is None or not t.requires_grad:
                continue
            gi = grads[i]
            if gi is None:
                continue
            if type(gi) is not _ndarray and hasattr(gi, "grad_fn"):
                gi = gi.array  # a Tensor returned by a user-defined Function
            fresh = False  # 3. the gradient in the input's shape and dtype
            tdata = t.array
            if gi.shape != tdata.shape:
                try:
                    gi = sum_to(gi, tdata.shape)
                except ValueError:  # not a broadcast of the input: a bug in that backward
                    raise ShapeError(
                        f"{node.name}.backward returned a gradient of shape {tuple(gi.shape)} "
                        f"for input {i} of shape {tuple(tdata.shape)}: it must have the "
                        "input's shape or one the input broadcasts to") from None
                fresh = True
            if gi.dtype != tdata.dtype:
                gi = gi.astype(tdata.dtype)
                fresh = True
            if anomaly:
                check_finite(gi, node.name, "backward")
            if sent is not None:
                sent[i] = gi
            fn = t.grad_fn  # 4. hand it on: to a leaf's .grad, or to the node that made t
            if fn is None:
                # A leaf: take the array if nobody else holds it (refs: grads, gi, the call),
                # copy it otherwise, so two leaves never share one .grad buffer.
                if not fresh and not unshared(gi, 2):
                    gi = gi.copy()
                _accumulate_leaf(t, gi)
            else:
                prev = pending.get(fn)
                if prev is None:
                    pending[fn] = gi
                elif fn in owned:
                    prev += gi  # in place for arrays; a NumPy scalar (0-d result) is rebound,
                    pending[fn] = prev  # so the sum must be stored back
                else:
                    pending[fn] = prev + gi
                    owned.add(fn)
        if observers:
            step = BackwardStep(node, g, tuple(sent))
            for observe in observers:
                observe(step)
        if not retain_graph:
            node._saved = None  # release(), inlined: this runs once per node per step
            node.__dict__.clear()


def _check_grad_count(node, grads, inputs):
    """Trailing non-tensor arguments may go without a gradient, and a gradient (None) for an
    argument that was passed by keyword is ignored; anything else is a bug."""
    extra = grads[len(inputs):]
    if any(g is not None for g in extra) or any(t is not None for t in inputs[len(grads):]):
        raise RuntimeError(
            f"{node.name}.backward returned {len(grads)} gradients for {len(inputs)} inputs "
            "(one per positional argument of forward; trailing non-tensors may be left out)"
        )


def _accumulate_leaf(t, g):
    """Add ``g`` into ``t.grad``, keeping the first gradient as it is (``g`` is ours to keep)."""
    if t.grad is None:
        # a NumPy scalar (a 0-d result) becomes an array; a GPU array stays where it is
        t.grad = t._make(np.asarray(g) if isinstance(g, _generic) else g)
    else:
        t.grad.array = t.grad.array + g  # out of place: the user may hold the old .grad

