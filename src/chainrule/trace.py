"""Trace a backward pass: the CS231n worksheet, written out node by node.

For every node, in the order backpropagation visits them, the trace shows the op, its input and
output values, the *upstream* gradient df/d(output) it receives, its *local* gradient
d(output)/d(input), and what it sends to each input — their product, the chain rule::

    >>> import chainrule as cr
    >>> from chainrule import trace
    >>> x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    >>> tr = trace.trace(lambda: (x + y) * z, names={"x": x, "y": y, "z": z})
    >>> print(tr.steps[1].chain_rule(0))
    df/dx = df/dq · dq/dx = -4 · 1 = -4

The local gradient is computed exactly, not guessed from sent/upstream: while the engine tells its
observers about a node, the node still holds its saved values, so the trace runs the node's own
``backward`` once more with an upstream gradient of ones. For ops where each input element reaches
one output element (elementwise ops, reductions, reshapes) that gives d(output)/d(input) element by
element. For ops that mix elements (matmul, softmax) the local gradient is a Jacobian matrix: the
trace shows the op's rule and the vector-Jacobian product that was sent instead.
"""

import weakref
from dataclasses import dataclass

import numpy as np

from .autograd.engine import observe_backward

__all__ = ["Step", "Trace", "name", "trace"]

# -- naming tensors ---------------------------------------------------------------------------
# Tensor has __slots__ (no room for a name) and defines elementwise ==, so names live here,
# keyed by id() and dropped by a weakref callback when the tensor dies (before its id is reused).
_names = {}


def name(tensor, label: str):
    """Give ``tensor`` a name that traces and graph pictures use (``name(x, "x")``); returns it."""
    if not isinstance(label, str) or not label:
        raise TypeError(f"trace.name: the label must be a non-empty string, got {label!r}")
    key = id(tensor)

    def forget(ref, key=key):
        if _names.get(key, (None,))[0] is ref:
            del _names[key]

    _names[key] = (weakref.ref(tensor, forget), label)
    return tensor


def name_of(tensor):
    """The name given with ``name()``, or None."""
    entry = _names.get(id(tensor))
    if entry is not None and entry[0]() is tensor:
        return entry[1]
    return None


# -- what one step of the worksheet holds --------------------------------------------------------
@dataclass
class Step:
    """One node of the backward pass, with every number the chain rule used there.

    ``input_names[i]`` is a tensor's name or a constant operand's value (``"1"`` in ``x + 1``),
    or None for a setting that is not in the math (an axis, a slope).
    ``local_grads[i]`` is d(output)/d(input i) element by element, or None where it is not
    elementwise (a Jacobian, see ``elementwise``) or the input takes no gradient.
    ``sent[i] = upstream · local_grads[i]`` (summed back to the input's shape) is df/d(input i).
    """

    op: str
    rule: str
    output_name: str
    output: np.ndarray
    input_names: tuple
    inputs: tuple
    upstream: np.ndarray
    local_grads: tuple
    sent: tuple
    elementwise: bool
    root_name: str = "f"
    max_elements: int = 6
    moves_elements: bool = False  # the op's own declaration (Function.moves_elements)
    infix: str = None  # the op's symbol in an expression (Function.infix), e.g. "+"

    def chain_rule(self, i: int) -> str:
        """``df/dx = df/dq · dq/dx = -4 · 1 = -4`` for input ``i`` (or why there is none)."""
        f, q, x = self.root_name, self.output_name, self.input_names[i]
        if self.sent[i] is None:
            return f"d{f}/d{x}: none ({x} does not require grad)"
        fmt = lambda a: _fmt(a, self.max_elements)  # noqa: E731
        head = f"d{f}/d{x} = d{f}/d{q} · d{q}/d{x} = {fmt(self.upstream)} · "
        local = self.local_grads[i]
        if local is None:
            return head + f"(Jacobian of {self.op}) = {fmt(self.sent[i])}"
        upstream = np.asarray(self.upstream)
        if self.moves_elements and upstream.size > 1:
            # upstream has the output's layout and local the input's: not an elementwise product
            # (even where the shapes agree, as for x.T of a square x or a flip)
            return head + (f"{fmt(local)} = {fmt(self.sent[i])}  (each element of {x} gets the "
                           f"upstream gradient of the output elements it went to)")
        product = upstream * local
        summed = product.shape != self.sent[i].shape
        note = "  (summed over the broadcast axes)" if summed and product.size > 1 else ""
        return head + f"{fmt(local)} = {fmt(self.sent[i])}{note}"


# -- recording ------------------------------------------------------------------------------------
class _Record:
    """What the observer copies out of a node before the engine frees its saved values."""

    __slots__ = ("node", "inputs", "input_values", "shown", "output", "output_value",
                 "upstream", "local", "sent", "elementwise", "pass_index")


def _sent_to(records):
    """``{id(tensor): [gradients sent to it, in backward order]}`` over ``records``."""
    sent_to = {}
    for r in records:
        for t, g in zip(r.inputs, r.sent):
            if t is not None and g is not None:
                sent_to.setdefault(id(t), []).append(g)
    return sent_to


def _copy(a):
    return None if a is None else np.array(a, copy=True)


def _local_gradients(node, upstream):
    """d(output)/d(input) per input, from the node's own backward run on an upstream of ones."""
    out = node.output
    elementwise = node.elementwise or (out is not None and out.array.size == 1)
    if not elementwise:
        return None, False
    try:
        grads = node.backward(node, np.ones_like(upstream))
    except Exception:  # a user-defined op may not accept this upstream: show no local gradient
        return None, False
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    local = []
    for i, t in enumerate(node.inputs):
        g = grads[i] if i < len(grads) else None
        if t is None or g is None or not t.requires_grad:
            local.append(None)
        else:
            local.append(np.array(getattr(g, "array", g), copy=True))
    return tuple(local), True


def shows_constant(node, i):
    """Is input ``i`` of ``node`` a constant operand (the 1 in ``x + 1``) to show?"""
    return node.number_operands and i in node.constants


def constant_input(node, i):
    """The constant operand ``node`` took as input ``i``, exactly as it was passed (the node
    keeps it), or None (for a tensor, a setting, or an absent bound of Clip)."""
    if not shows_constant(node, i):
        return None
    value = node.constants[i]
    return None if value is None else np.asarray(value)


class Trace:
    """Record every backward pass run inside ``with Trace() as tr:``; then ``print(tr)``.

    ``names`` maps names to tensors (``{"x": x}``); tensors named with ``trace.name`` are known
    too, and the rest get q, r, s, ... (intermediates) and a, b, c, ... (inputs) in forward
    order. The output of the pass is called f (of a later pass: out, f1, ...); each pass gets its
    own worksheet. Arrays with more than ``max_elements`` elements are printed as their shape and
    norm.
    """

    def __init__(self, names=None, max_elements: int = 6):
        self._given = {}
        for label, t in (names or {}).items():
            if not hasattr(t, "grad_fn"):
                raise TypeError(f"Trace: names[{label!r}] must be a tensor, got "
                                f"{type(t).__name__}")
            self._given[id(t)] = label
        self._keep = list((names or {}).values())  # so no other tensor can take a named one's id
        self.max_elements = max_elements
        self._records = []
        self._passes = []  # the records again, one list per backward pass
        self._pass_inputs = set()  # ids of the tensors the current pass's nodes consumed
        self._steps = None
        self._named = None
        self._sent_cache = {}
        self._observer = None
        self.output = None  # set by trace(): the tensor fn() returned

    def __enter__(self):
        self._observer = observe_backward(self._observe)
        self._observer.__enter__()
        return self

    def __exit__(self, *exc):
        self._observer.__exit__(*exc)
        return False

    def _observe(self, step):
        node = step.node
        r = _Record()
        r.node = node
        r.inputs = node.inputs
        r.input_values = tuple(
            _copy(t.array) if t is not None else _copy(constant_input(node, i))
            for i, t in enumerate(node.inputs)
        )
        r.shown = tuple(t is not None or shows_constant(node, i) for i, t in enumerate(node.inputs))
        r.output = node.output  # kept alive: the trace names it and shows its value
        r.output_value = _copy(r.output.array) if r.output is not None else None
        r.upstream = _copy(step.grad_output)
        r.sent = tuple(_copy(g) for g in step.grad_inputs)
        r.local, r.elementwise = _local_gradients(node, step.grad_output)
        if r.local is None:
            r.local = (None,) * len(node.inputs)
        if not self._passes or id(r.output) not in self._pass_inputs:
            # within a pass every node after the root made an input of a node already visited:
            # a node whose output nothing here consumed is the root of a new backward pass
            self._passes.append([])
            self._pass_inputs = set()
        self._pass_inputs.update(id(t) for t in node.inputs if t is not None)
        r.pass_index = len(self._passes) - 1
        self._passes[-1].append(r)
        self._records.append(r)
        self._steps = self._named = None
        self._sent_cache = {}

    # -- names --------------------------------------------------------------------------------
    def _assign_names(self):
        if self._named is None:
            self._named = self._name_tensors()
        return self._named

    def _name_tensors(self):
        taken = set(self._given.values())
        named = dict(self._given)
        for r in self._records:
            for t in (*r.inputs, r.output):
                if t is not None and id(t) not in named and name_of(t) is not None:
                    named[id(t)] = name_of(t)
                    taken.add(named[id(t)])
        for records in self._passes:
            root = records[0].output
            if root is not None and id(root) not in named:
                named[id(root)] = _fresh("f", ["f", "out"], taken)
        inner = iter(_letters("qrstuvw", "h", taken))
        outer = iter(_letters("abcdeg", "in", taken))
        for r in reversed(self._records):  # reversed backward order is a forward order
            for t in r.inputs:
                if t is not None and id(t) not in named:
                    named[id(t)] = next(inner if t.grad_fn is not None else outer)
            if r.output is not None and id(r.output) not in named:
                named[id(r.output)] = next(inner)
        return named

    def name_of(self, tensor):
        """The name this trace uses for ``tensor`` (None if it is not in the trace)."""
        return self._assign_names().get(id(tensor))

    # -- the worksheet -------------------------------------------------------------------------
    @property
    def steps(self):
        """The backward pass as a list of ``Step``, in the order the engine visited the nodes."""
        if self._steps is None:
            named = self._assign_names()
            self._steps = []
            for r in self._records:
                root_name = named.get(id(self._passes[r.pass_index][0].output), "f")
                labels = tuple(
                    named[id(t)] if t is not None else _constant_label(v) if shown else None
                    for t, v, shown in zip(r.inputs, r.input_values, r.shown)
                )
                self._steps.append(Step(
                    op=r.node.name, rule=_rule(r.node), output_name=named.get(id(r.output), "?"),
                    output=r.output_value, input_names=labels, inputs=r.input_values,
                    upstream=r.upstream, local_grads=r.local, sent=r.sent,
                    elementwise=r.elementwise, root_name=root_name,
                    max_elements=self.max_elements, moves_elements=r.node.moves_elements,
                    infix=r.node.infix,
                ))
        return self._steps

    def gradient(self, tensor):
        """df/d(tensor) summed over every path in this trace (None if no gradient reached it).

        Works for intermediates too, whose ``.grad`` the engine does not keep.
        """
        return self._gradient(tensor, self._records)

    def contributions(self, tensor):
        """The gradients each consumer sent to ``tensor``: several paths, added up."""
        return self._contributions(tensor, self._records)

    def leaves(self):
        """The leaf tensors that took a gradient in this trace, in forward order."""
        return self._leaves(self._records)

    # the same, over the records of one backward pass
    def _gradient(self, tensor, records, parts=None):
        for pass_records in self._passes:
            if pass_records[0].output is tensor:
                return pass_records[0].upstream
        if parts is None:
            parts = self._contributions(tensor, records)
        return sum(parts[1:], parts[0]) if parts else None

    def _contributions(self, tensor, records):
        return self._sent_to(records).get(id(tensor), [])

    def _sent_to(self, records):
        """``_sent_to(records)``, computed once per list of records (all, or one pass): looking
        up what reached each tensor then costs O(1), so the worksheet stays linear in size."""
        key = id(records)
        if key not in self._sent_cache:
            self._sent_cache[key] = _sent_to(records)
        return self._sent_cache[key]

    @staticmethod
    def _leaves(records):
        found = {}  # by id: Tensor's == is elementwise
        for r in reversed(records):  # forward order: the first used comes first
            for t in r.inputs:
                if t is not None and t.grad_fn is None and t.requires_grad:
                    found.setdefault(id(t), t)
        return list(found.values())

    def leaf_gradients(self):
        """``{name: df/d(leaf)}`` for every leaf, summed over paths, in forward order."""
        return {self.name_of(t): self.gradient(t) for t in self.leaves()}

    def render(self) -> str:
        """The worksheet as text: forward pass, backward pass, gradients at the leaves; one
        worksheet for each backward pass that ran inside the trace."""
        steps = self.steps
        if not steps:
            return "(empty trace: no backward pass ran inside it)"
        if len(self._passes) == 1:
            return self._render_pass(self._records, steps)
        sheets, start = [], 0
        for k, records in enumerate(self._passes):
            part = steps[start:start + len(records)]
            start += len(records)
            sheets.append(f"backward pass {k + 1} of {len(self._passes)}: "
                          f"{part[0].root_name}\n" + self._render_pass(records, part))
        return "\n\n".join(sheets)

    def _render_pass(self, records, steps):
        m = self.max_elements
        root = steps[0].root_name
        lines = ["forward pass"]
        for s in reversed(steps):
            lines.append(f"  {s.output_name} = {_expression(s, names=True)}"
                         f" = {_expression(s, names=False)} = {_fmt(s.output, m)}")
        lines += ["", "backward pass (sent = upstream · local: the chain rule)"]
        sent_to = self._sent_to(records)
        for s, r in zip(steps, records):
            lines.append(f"  {s.output_name} = {_expression(s, names=True)}    [{s.op}] {s.rule}")
            parts = sent_to.get(id(r.output), [])
            if r is records[0]:
                up = f"d{root}/d{root} = {_fmt(s.upstream, m)}"
            elif len(parts) > 1:
                added = " + ".join(_fmt(p, m) for p in parts)
                up = (f"d{root}/d{s.output_name} = {added} = {_fmt(s.upstream, m)}"
                      f"  ({len(parts)} paths meet: their gradients add)")
            else:
                up = f"d{root}/d{s.output_name} = {_fmt(s.upstream, m)}"
            lines.append(f"    upstream  {up}")
            for i, t in enumerate(r.inputs):
                if t is not None:
                    lines.append("    " + s.chain_rule(i))
        leaves = self._leaves(records)
        if leaves:
            lines += ["", "gradients at the leaves"]
            for t in leaves:
                n = self.name_of(t)
                parts = sent_to.get(id(t), [])
                total = _fmt(self._gradient(t, records, parts), m)
                if len(parts) > 1:
                    added = " + ".join(_fmt(p, m) for p in parts)
                    lines.append(f"  d{root}/d{n} = {added} = {total}  ({len(parts)} paths add)")
                else:
                    lines.append(f"  d{root}/d{n} = {total}")
        return "\n".join(lines)

    def __str__(self):
        return self.render()

    def __repr__(self):
        return f"<Trace of {len(self._records)} backward steps>"


def trace(fn, names=None, gradient=None, max_elements: int = 6) -> Trace:
    """Run ``fn()`` (which builds a tensor) and its backward pass, and return the ``Trace``.

    ``tr = trace(lambda: (x + y) * z, names={"x": x, "y": y, "z": z}); print(tr)``.
    ``gradient`` is passed to ``backward`` (needed when ``fn()`` is not a scalar). Like any
    backward pass, it adds to the leaves' ``.grad``.
    """
    if not callable(fn):
        raise TypeError(
            f"trace: fn must be a function that builds the tensor (e.g. lambda: (x + y) * z), "
            f"got a {type(fn).__name__}: the graph is traced while fn() runs"
        )
    with Trace(names=names, max_elements=max_elements) as tr:
        out = fn()
        if not hasattr(out, "backward"):
            raise TypeError(f"trace: fn() must return a tensor, it returned {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError("trace: fn() returned a tensor that does not require grad; give "
                               "at least one input requires_grad=True")
        out.backward(gradient)
    tr.output = out
    return tr


# -- formatting ---------------------------------------------------------------------------------
def _fmt(a, max_elements=6) -> str:
    """A number as ``-4``/``0.1966``, a small array in full, a big one as its shape and norm."""
    if a is None:
        return "—"
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.4g}"
    if a.size <= max_elements:
        text = np.array2string(a, separator=", ", max_line_width=10**6,
                               formatter={"float_kind": lambda v: f"{v:.4g}", "bool": str})
        return text.replace("\n", "")
    return f"<shape {tuple(a.shape)}, norm {float(np.linalg.norm(a.astype(np.float64))):.4g}>"


def _constant_label(value):
    """A constant operand's name in the worksheet: its value, or None for Clip's absent bound."""
    return "None" if value is None else _fmt(value, 3)


def _expression(step, names=True) -> str:
    """``x + y`` (names) or ``-2 + 5`` (values); ``maximum(x, 0)`` for other ops. Settings such
    as an axis (no name) are left out."""
    args = [n if names or v is None else _fmt(v, step.max_elements)
            for n, v in zip(step.input_names, step.inputs) if n is not None]
    if step.infix and len(args) == 2:
        if step.op == "Pow" and args[0].startswith("-"):
            args[0] = f"({args[0]})"  # -3 ** 2 reads as -(3²)
        return f"{args[0]} {step.infix} {args[1]}"
    if step.op == "Neg" and len(args) == 1:
        return f"-{args[0]}" if names else f"-({args[0]})"
    return f"{step.op.lower()}({', '.join(args)})"


def _rule(node) -> str:
    """The op's docstring's first paragraph, on one line: the rule may wrap in the source."""
    paragraph = (type(node).__doc__ or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines()) or node.name


def _fresh(prefix, candidates, taken):
    for c in candidates:
        if c not in taken:
            taken.add(c)
            return c
    return next(iter(_letters("", prefix, taken)))


def _letters(letters, prefix, taken):
    """Yield unused names: the given letters first, then prefix1, prefix2, ..."""
    for c in letters:
        if c not in taken:
            taken.add(c)
            yield c
    k = 1
    while True:
        c = f"{prefix}{k}"
        k += 1
        if c not in taken:
            taken.add(c)
            yield c
