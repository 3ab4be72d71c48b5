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


WIDTH = 18  # inches


def graph_figure(first, gate, node):
    """The three circuits: (x + y)·z and the neuron with σ as one node side by side, the neuron
    built from gates below at full width. Each panel's height follows its graph's proportions
    (the drawings keep an equal aspect), so no band of the page stays empty."""
    fig = new_figure(WIDTH, 8)
    grid = fig.add_gridspec(2, 2)
    panels = [
        (fig.add_subplot(grid[0, 0]), first, "1. f = (x + y)·z"),
        (fig.add_subplot(grid[0, 1]), node, "3. the same neuron with σ as one node: "
                                            "local gradient σ(1 − σ)"),
        (fig.add_subplot(grid[1, :]), gate, "2. one neuron from primitive gates: "
                                            "f = 1 / (1 + exp(−(w0·x0 + w1·x1 + w2)))"),
    ]
    for ax, tr, title in panels:
        draw_graph(tr.output, ax=ax, trace=tr, title=title)

    def height(ax, width):  # inches an equal-aspect drawing takes at this width
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        return width * (y1 - y0) / (x1 - x0)

    top = max(height(ax, WIDTH / 2) for ax, _, _ in panels[:2])
    bottom = height(panels[2][0], WIDTH)
    grid.set_height_ratios([top, bottom])
    fig.set_size_inches(WIDTH, top + bottom + 1.2)  # + titles and the caption
    fig.suptitle("green: forward values, red: gradients df/d·", fontsize=11)
    return fig


def demo(out_dir):
    first, gate, node = add_mul_example(), sigmoid_gate_example(), sigmoid_node_example()
    path = save(graph_figure(first, gate, node), out_dir, "graph.png")
    sig = float(node.steps[0].output)
    local = float(node.steps[0].local_grads[0])
    lines = [f"{path}: the circuits of the CS231n notes, values in green, gradients in red.",
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
