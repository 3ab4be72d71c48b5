"""Walking a computational graph: what learners (and the trace and viz tools) read.

Every tensor made by an op points to its node (``grad_fn``); every node points to its input
tensors. ``walk`` lists the nodes from the output back to the leaves, ``leaves`` the tensors the
user made.
"""

from .engine import topological_order


def walk(tensor):
    """The nodes ``tensor`` was computed by, output first, each before the nodes it consumed."""
    if tensor.grad_fn is None:
        return []
    return topological_order(tensor.grad_fn)


def leaves(tensor):
    """The leaf tensors (inputs and parameters) that ``tensor`` depends on, in graph order."""
    if tensor.grad_fn is None:
        return [tensor]
    seen = set()
    out = []
    for node in walk(tensor):
        for t in node.inputs:
            if t is not None and t.grad_fn is None and id(t) not in seen:
                seen.add(id(t))
                out.append(t)
    return out


def describe(tensor):
    """One line a node: ``Add(x0, x1) -> shape``; for printing a graph in a terminal."""
    lines = []
    for node in walk(tensor):
        args = ", ".join(
            "const" if t is None else (t.grad_fn.name if t.grad_fn else f"leaf{tuple(t.shape)}")
            for t in node.inputs
        )
        out = node.output
        shape = tuple(out.shape) if out is not None else "?"
        lines.append(f"{node.name}({args}) -> {shape}")
    return "\n".join(lines)
