"""The computational graph and the chain rule on the two circuits of the CS231n notes.

f = (x + y)·z at x = −2, y = 5, z = −4, and the one-neuron gate
f = σ(w0·x0 + w1·x1 + w2) = 1 / (1 + e^−(w0·x0 + w1·x1 + w2)) at w = (2, −3, −3), x = (−1, −2).
"""

import shutil

from .. import trace as tracing
from ..functional import exp
from ..nn import functional as F
from ..tensor import tensor
from ..viz import GraphvizNotFoundError, draw_graph, render
from ._figure import new_figure, save


def add_mul_example():
    """Trace of f = (x + y)·z at x = −2, y = 5, z = −4 (df/dx = df/dy = −4, df/dz = 3)."""
    x, y, z = (tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    return tracing.trace(lambda: (x + y) * z, names={"x": x, "y": y, "z": z})


def _neuron_inputs():
    values = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
    return {k: tensor(v, requires_grad=True) for k, v in values.items()}


def sigmoid_gate_example():
    """Trace of the neuron built from primitive gates: ·, +, negate, exp, +1, 1/x."""
    t = _neuron_inputs()
    return tracing.trace(
        lambda: 1 / (1 + exp(-(t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"]))), names=t)


def sigmoid_node_example():
    """The same neuron with σ as one node, whose local gradient is σ(1 − σ)."""
    t = _neuron_inputs()
    return tracing.trace(lambda: F.sigmoid(t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"]),
                         names=t)


def demo(out_dir):
    first, gate, node = add_mul_example(), sigmoid_gate_example(), sigmoid_node_example()
    fig = new_figure(18, 9)
    rows = fig.add_gridspec(2, 1, height_ratios=[1, 1.4])
    top = fig.add_subplot(rows[0])
    bottom = fig.add_subplot(rows[1])
    draw_graph(first.output, ax=top, trace=first,
               title="f = (x + y)·z   (green: forward values, red: gradients df/d·)")
    draw_graph(gate.output, ax=bottom, trace=gate,
               title="one neuron: f = 1 / (1 + exp(−(w0·x0 + w1·x1 + w2)))")
    path = save(fig, out_dir, "graph.png")
    sig = float(node.steps[0].output)
    local = float(node.steps[0].local_grads[0])
    lines = [f"{path}: the two circuits of the CS231n notes, values in green, gradients in red.",
             "", "1. f = (x + y)·z", str(first), "",
             "2. one neuron, built from primitive gates", str(gate), "",
             "3. the same neuron with the sigmoid as one node: its local gradient is "
             f"σ(1 − σ) = {sig:.4g} · {1 - sig:.4g} = {local:.4g}, the product of the four "
             "gates above",
             str(node)]
    if shutil.which("dot"):
        try:
            dot_path = render(gate.output, f"{out_dir}/graph_neuron_graphviz.png", trace=gate)
            lines += ["", f"{dot_path}: the neuron drawn by Graphviz"]
        except (GraphvizNotFoundError, RuntimeError) as e:  # the matplotlib picture suffices
            lines += ["", f"(Graphviz drawing skipped: {e})"]
    return "\n".join(lines)


__all__ = ["add_mul_example", "demo", "sigmoid_gate_example", "sigmoid_node_example"]
