"""Pictures of the computational graph: variables (ellipses) and ops (boxes), left to right.

``to_dot(f)`` writes the graph in Graphviz's DOT language; ``render(f, "graph.png")`` turns it into
an image with Graphviz's ``dot`` program; ``draw_graph(f, "graph.png")`` draws the same picture
with matplotlib, for machines without Graphviz. Each variable shows its value and its gradient;
pass a ``chainrule.trace.Trace`` to also see the gradients of intermediates, which the engine
does not keep. ``module_to_dot(model, input_shape)`` draws a network one box per layer.
"""

import os
import shutil
import subprocess
from itertools import chain

import numpy as np

from .autograd.graph import walk
from .io.atomic import atomic_write_bytes
from .trace import _fmt, _letters, constant_input, name_of

__all__ = ["GraphvizNotFoundError", "draw_graph", "module_to_dot", "render", "to_dot"]

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH. Install it with `apt-get install graphviz` "
    "(Debian/Ubuntu), `brew install graphviz` (macOS) or `conda install graphviz`; "
    "`pip install graphviz` installs only the Python bindings, which need that program too. "
    "Without it, chainrule.viz.draw_graph draws the graph with matplotlib."
)


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` executable and it is not installed."""


# -- the graph as plain data, shared by the DOT writer and the matplotlib drawing ---------------
class _Element:
    __slots__ = ("key", "kind", "lines", "inputs")

    def __init__(self, key, kind, lines):
        self.key = key  # a DOT node id
        self.kind = kind  # "leaf", "data", "inner", "output", "const" or "op"
        self.lines = lines  # label, one string a line
        self.inputs = []  # keys of the elements with an arrow into this one


def _names(tensor, nodes, names, trace):
    """A name for every variable of the graph, as a trace names them: the ``names`` given, then
    a ``Trace``'s or ``trace.name``'s, then f for the output, a, b, c… for inputs and q, r, s…
    for intermediates in forward order (so a drawing and an unnamed trace agree)."""
    given = {id(t): label for label, t in (names or {}).items()}

    def known(t):
        if id(t) in given:
            return given[id(t)]
        if trace is not None and trace.name_of(t) is not None:
            return trace.name_of(t)
        return name_of(t)

    variables = {}  # id -> tensor, in forward order
    for node in reversed(nodes):
        for t in node.inputs:
            if t is not None:
                variables.setdefault(id(t), t)
        out = tensor if node is nodes[0] else node.output
        if out is not None:
            variables.setdefault(id(out), out)
    variables.setdefault(id(tensor), tensor)
    named = {key: known(t) for key, t in variables.items()}
    taken = {label for label in named.values() if label is not None}
    if named[id(tensor)] is None:
        named[id(tensor)] = next(label for label in chain(("f", "out"), _letters("", "f", taken))
                                 if label not in taken)
        taken.add(named[id(tensor)])
    inner, outer = _letters("qrstuvw", "h", taken), _letters("abcdeg", "in", taken)
    for key, t in variables.items():
        if named[key] is None:
            named[key] = next(inner if t.grad_fn is not None else outer)
    return named


def _graph(tensor, show_values, show_grads, names, trace, max_elements):
    """Elements in forward order: every variable, op and constant, with arrows between them."""
    if not hasattr(tensor, "grad_fn"):
        raise TypeError(f"viz: expected a chainrule Tensor, got {type(tensor).__name__}")
    nodes = walk(tensor)
    labels = _names(tensor, nodes, names, trace)
    # df/df = 1: shown on a scalar output once a backward pass has given its leaves a gradient
    # (the engine keeps no gradient for a non-leaf, and a non-scalar's was the caller's choice)
    backward_ran = any(t.grad is not None for n in nodes for t in n.inputs
                       if t is not None and t.grad_fn is None)
    elements = {}

    def label_of(t):
        return labels.get(id(t))

    def variable(t, kind):
        key = f"v{id(t)}"
        if key in elements:
            return key
        lines = []
        label = label_of(t)
        if label:
            lines.append(label)
        if t.array.size > max_elements or (t.ndim and not show_values):
            lines.append(f"shape {tuple(t.shape)}")
        if show_values:
            lines.append(f"value {_fmt(t.array, max_elements)}")
        if show_grads and t.requires_grad:
            g = trace.gradient(t) if trace is not None else None
            if g is None and t.grad is not None:
                g = t.grad.array
            if g is None and t is tensor and t.array.size == 1 and backward_ran:
                g = np.ones_like(t.array)
            if g is not None:
                lines.append(f"grad {_fmt(g, max_elements)}")
        elements[key] = _Element(key, kind, lines)
        return key

    if not nodes:
        variable(tensor, "leaf" if tensor.requires_grad else "data")
        return list(elements.values())
    for node in reversed(nodes):  # forward order: inputs get their element before their users
        op = _Element(f"op{id(node)}", "op", [node.name])
        for i, t in enumerate(node.inputs):
            if t is None:
                value = constant_input(node, i)
                if value is None:
                    continue  # a setting (an axis, a slope) or Clip's absent bound: not in the math
                key = f"c{id(node)}_{i}"
                elements[key] = _Element(key, "const", [_fmt(value, max_elements)])
            else:
                kind = "inner" if t.grad_fn is not None else "leaf" if t.requires_grad else "data"
                key = variable(t, kind)
            op.inputs.append(key)
        elements[op.key] = op
        out = tensor if node is nodes[0] else node.output
        if out is not None:
            elements[variable(out, "output" if node is nodes[0] else "inner")].inputs.append(op.key)
    return list(elements.values())


# -- DOT -------------------------------------------------------------------------------------------
_STYLE = {
    "leaf": 'shape=ellipse, style=filled, fillcolor="#cfe2f3"',
    "data": 'shape=ellipse, style="dashed"',
    "inner": "shape=ellipse",
    "output": 'shape=ellipse, style=filled, fillcolor="#ffe599"',
    "const": 'shape=plaintext',
    "op": 'shape=box, style="rounded,filled", fillcolor="#eeeeee"',
}


def _quote(lines):
    """A DOT label: the lines escaped and joined with DOT's own line break, ``\\n``."""
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def to_dot(tensor, show_values=True, show_grads=True, names=None, trace=None, max_elements=4):
    """The graph that computed ``tensor`` in DOT: ellipses are variables, boxes are ops.

    Leaves that take a gradient are blue, inputs that do not are dashed, the output is yellow.
    ``names`` maps labels to tensors; ``trace`` (a ``Trace`` of a backward pass through this
    graph) supplies names and the gradients of intermediates.
    """
    elements = _graph(tensor, show_values, show_grads, names, trace, max_elements)
    lines = ["digraph chainrule {", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#555555"];']
    ids = {e.key: f"n{i}" for i, e in enumerate(elements)}  # stable ids: same graph, same text
    for e in elements:
        lines.append(f"  {ids[e.key]} [label={_quote(e.lines)}, {_STYLE[e.kind]}];")
    for e in elements:
        for src in e.inputs:
            lines.append(f"  {ids[src]} -> {ids[e.key]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def module_to_dot(module, input_shape, batch_size=1):
    """A network one box per layer (``module.named_children()``), each with its output shape
    and parameter count, found by running one zero batch of ``input_shape`` through it."""
    from .autograd.grad_mode import no_grad
    from .nn.recording import record_outputs
    from .tensor import Tensor

    children = list(module.named_children()) or [("", module)]
    was_training = module.training
    try:
        module.eval()
        with no_grad(), record_outputs(module, children) as records:
            module(Tensor(np.zeros((batch_size, *tuple(input_shape)), dtype=np.float32)))
    finally:
        module.train(was_training)
    calls = [(name, child, tuple(getattr(out, "shape", ()))) for name, child, out in records]
    first = _quote(["input", f"shape (N, {_dims(input_shape)})"])
    lines = ["digraph model {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=11];',
             f'  input [label={first}, shape=ellipse, style=filled, fillcolor="#cfe2f3"];']
    previous = "input"
    for k, (child_name, child, shape) in enumerate(calls):
        params = sum(p.array.size for p in child.parameters())
        extra = child.extra_repr() if hasattr(child, "extra_repr") else ""
        title = f"{child_name}: {type(child).__name__}" if child_name else type(child).__name__
        text = _quote([title] + ([extra] if extra else []) +
                      [f"output (N, {_dims(shape[1:])})", f"{params:,} parameters"])
        lines.append(f'  layer{k} [label={text}, {_STYLE["op"]}];')
        lines.append(f"  {previous} -> layer{k};")
        previous = f"layer{k}"
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dims(shape):
    return ", ".join(str(n) for n in shape)


# -- rendering with Graphviz -----------------------------------------------------------------------
def render_dot(dot_text, path, format=None):  # noqa: A002 - Graphviz's name
    """Write ``dot_text`` as an image at ``path`` (format from the suffix: png, svg, pdf)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(INSTALL_HINT)
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".").lower() or "png"
    result = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True,
                            timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"viz.render: Graphviz's dot failed making {fmt!r} for {path!r}: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    atomic_write_bytes(path, result.stdout)
    return path


def render(tensor, path, format=None, **kwargs):  # noqa: A002
    """Draw ``tensor``'s graph to ``path`` with Graphviz (``to_dot`` options as keywords)."""
    return render_dot(to_dot(tensor, **kwargs), path, format=format)




# -- drawing with matplotlib ---------------------------------------------------------------------
_FACE = {"leaf": "#cfe2f3", "data": "white", "inner": "white", "output": "#ffe599",
         "const": "none", "op": "#eeeeee"}


def _layout(elements):
    """(column, row) per element. Columns count back from the output, so an input sits just
    left of the op that uses it; each column is ordered by where its users are, to avoid
    crossing arrows."""
    users = {e.key: [] for e in elements}
    for e in elements:
        for k in e.inputs:
            users[k].append(e.key)
    depth = {}
    for e in reversed(elements):  # users come later in forward order: their depth is known
        depth[e.key] = 1 + max((depth[u] for u in users[e.key]), default=-1)
    last = max(depth.values())
    by_column = {}
    for e in elements:
        by_column.setdefault(last - depth[e.key], []).append(e)
    row = {}
    for c in sorted(by_column, reverse=True):
        members = by_column[c]
        members.sort(key=lambda e: -np.mean([row[u] for u in users[e.key]]) if users[e.key] else 0)
        n = len(members)
        for i, e in enumerate(members):
            row[e.key] = (n - 1) / 2 - i
    return {key: (last - d, row[key]) for key, d in depth.items()}


def draw_graph(tensor, path=None, ax=None, title=None, show_values=True, show_grads=True,
               names=None, trace=None, max_elements=4):
    """Draw ``tensor``'s graph with matplotlib (no Graphviz needed); save it if ``path`` is given.

    Same picture as ``render``: ellipses for variables with value and gradient, boxes for ops.
    Meant for small graphs, such as the ones in the notes. Returns the matplotlib Axes.
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Ellipse, FancyBboxPatch
    except ImportError:
        raise ImportError("draw_graph needs matplotlib: pip install matplotlib") from None

    elements = _graph(tensor, show_values, show_grads, names, trace, max_elements)
    pos = _layout(elements)
    kinds = {e.key: e.kind for e in elements}
    xs = 3.0  # horizontal spacing between columns, in data units
    ys = 1.5
    columns = 1 + max(c for c, _ in pos.values())
    rows = max(1, max(sum(1 for c2, _ in pos.values() if c2 == c) for c in range(columns)))
    fontsize = 9 if columns <= 8 else 7  # long chains get smaller nodes on the same page
    own = ax is None
    if own:
        # a bare Figure, not pyplot: no global state and no display backend to choose
        fig = Figure(figsize=(max(4.0, 2.2 * columns), max(2.5, 1.3 * rows + 0.8)))
        ax = fig.add_subplot()
    for e in elements:
        c, r = pos[e.key]
        x, y = c * xs, r * ys
        width, height = 2.5, 0.35 + 0.3 * len(e.lines)
        if e.kind == "op":
            patch = FancyBboxPatch((x - 0.85, y - 0.3), 1.7, 0.6,
                                   boxstyle="round,pad=0.05", fc=_FACE["op"], ec="#333333")
        elif e.kind == "const":
            patch = None
        else:
            patch = Ellipse((x, y), width, height, fc=_FACE[e.kind], ec="#333333",
                            ls="--" if e.kind == "data" else "-")
        if patch is not None:
            ax.add_patch(patch)
        for i, line in enumerate(e.lines):
            colour = "#b00000" if line.startswith("grad") else "#006000" if line.startswith(
                "value") else "black"
            weight = "bold" if i == 0 and not line.startswith(("value", "grad", "shape")) else None
            ax.text(x, y + 0.15 * (len(e.lines) - 1) - 0.3 * i, line, ha="center", va="center",
                    fontsize=fontsize, color=colour, fontweight=weight)
        for k, src in enumerate(e.inputs):
            sc, sr = pos[src]
            gap = 0.85 if kinds[src] == "op" else 0.3 if kinds[src] == "const" else 1.25
            # x · x: the second arrow from x is bent, or it would hide under the first
            repeat = e.inputs[:k].count(src)
            ax.annotate("", xy=(x - (0.85 if e.kind == "op" else 1.25), y),
                        xytext=(sc * xs + gap, sr * ys),
                        arrowprops=dict(arrowstyle="->", color="#555555",
                                        connectionstyle=f"arc3,rad={0.35 * repeat}"))
    ax.set_xlim(-1.5, (columns - 1) * xs + 1.5)
    half = (rows - 1) / 2 * ys + 1.0
    ax.set_ylim(-half, half)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    if own and path is not None:
        fig.tight_layout()
        save_figure(fig, path)
    return ax


def save_figure(fig, path, dpi=120):
    """Save a matplotlib figure atomically (the format comes from ``path``'s suffix)."""
    from .plotting import save_figure as _save

    return _save(fig, path, dpi=dpi)
