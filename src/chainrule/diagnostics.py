"""Gradient flow: is every layer still learning?

Backpropagation multiplies local gradients layer by layer. A sigmoid's local gradient is at most
0.25 and near 0 when it saturates, so through many sigmoid layers the early layers' gradients
shrink by orders of magnitude (vanishing gradients); large weights can make them grow instead
(exploding). A ReLU unit whose input is negative for every sample passes no gradient at all
(a dead ReLU). These tools measure all three during training.
"""

import math
import os
import warnings

import numpy as np

from .autograd.grad_mode import no_grad
from .nn.activation import ReLU, Sigmoid, Tanh
from .nn.layers import Linear
from .nn.recording import record_outputs
from .tensor import Tensor
from .train.callbacks import Callback

VANISHING_RATIO = 1e-3  # first layer's gradient norm below this fraction of the last layer's
EXPLODING_NORM = 1e3
DEAD_FRACTION = 0.5


def layer_gradient_norms(model):
    """{layer name: L2 norm of its weight gradient} for every Linear layer, input side first."""
    norms = {}
    for name, module in model.named_modules():
        if isinstance(module, Linear) and module.weight.grad is not None:
            norms[name] = float(np.linalg.norm(module.weight.grad.array))
    return norms


def layer_weight_norms(model):
    return {name: float(np.linalg.norm(m.weight.array))
            for name, m in model.named_modules() if isinstance(m, Linear)}


def activation_stats(model, x):
    """Per activation layer, on inputs ``x``: the fraction of saturated sigmoid/tanh outputs
    (within 0.01 of their limits) and of dead ReLU units (zero for every sample)."""
    stats = {}
    was_training = model.training
    model.eval()
    try:
        with no_grad(), record_outputs(model) as records:
            model(x if isinstance(x, Tensor) else Tensor(np.asarray(x, np.float32)))
    finally:
        model.train(was_training)
    for name, module, out in records:
        y = out.array.reshape(len(out.array), -1)
        if isinstance(module, Sigmoid):
            stats[name] = {"kind": "sigmoid", "saturated": float(((y < 0.01) | (y > 0.99)).mean())}
        elif isinstance(module, Tanh):
            stats[name] = {"kind": "tanh", "saturated": float((np.abs(y) > 0.99).mean())}
        elif isinstance(module, ReLU):
            stats[name] = {"kind": "relu", "dead": float((y <= 0).all(axis=0).mean())}
    return stats


def diagnose(grad_norms, act_stats=None):
    """Warnings (strings) about vanishing or exploding gradients and dead ReLUs."""
    problems = []
    values = list(grad_norms.values())
    if len(values) >= 2 and values[-1] > 0:
        ratio = values[0] / values[-1]
        if ratio < VANISHING_RATIO:
            problems.append(f"vanishing gradients: the first layer's gradient norm is "
                            f"{ratio:.1e} × the last layer's")
    if values and max(values) > EXPLODING_NORM:
        problems.append(f"exploding gradients: a layer's gradient norm reached {max(values):.3g}")
    if any(not math.isfinite(v) for v in values):
        problems.append("non-finite gradients (NaN or inf)")
    for name, s in (act_stats or {}).items():
        if s.get("dead", 0) > DEAD_FRACTION:
            problems.append(f"{100 * s['dead']:.0f}% of the ReLU units in {_module(name)} are dead")
    return problems


class GradientFlow(Callback):
    """A ``fit`` callback recording, each epoch, per-layer gradient and weight norms (from the
    epoch's last batch) and activation statistics on a probe batch; warns on problems."""

    def __init__(self, model=None, probe=None, warn=True):
        self.model = model
        self.probe = probe
        self.warn = warn
        self.epochs = []
        self.grad_norms = []
        self.weight_norms = []
        self.activations = []
        self.problems = []

    def on_epoch_end(self, epoch, logs):
        grads = layer_gradient_norms(self.model)
        acts = activation_stats(self.model, self.probe) if self.probe is not None else {}
        self.epochs.append(epoch)
        self.grad_norms.append(grads)
        self.weight_norms.append(layer_weight_norms(self.model))
        self.activations.append(acts)
        problems = diagnose(grads, acts)
        self.problems.append(problems)
        if self.warn:
            for p in problems:
                warnings.warn(f"epoch {epoch}: {p}", RuntimeWarning, stacklevel=2)

    def report(self):
        """A short text table: gradient norm of each layer at the first and last epoch."""
        if not self.grad_norms:
            return "gradient flow: nothing recorded"
        first, last = self.grad_norms[0], self.grad_norms[-1]
        lines = ["gradient flow (weight-gradient L2 norm per Linear layer, 1 = next to the "
                 "input; first → last epoch):"]
        for k, name in enumerate(last, 1):
            lines.append(f"  layer {k:>2} ({_module(name)}): "
                         f"{first.get(name, float('nan')):.3e} → {last[name]:.3e}")
        problems = self.problems[-1]
        lines.append("  problems: " + ("; ".join(problems) if problems else "none"))
        return "\n".join(lines)

    def save_report(self, out_dir):
        """gradient_flow.csv, and gradient_flow.png when matplotlib is installed."""
        from .io.atomic import atomic_write

        names = list(self.grad_norms[-1]) if self.grad_norms else []
        with atomic_write(os.path.join(out_dir, "gradient_flow.csv"), mode="w") as f:
            f.write(",".join(["epoch", *names]) + "\n")
            for epoch, norms in zip(self.epochs, self.grad_norms):
                f.write(",".join([str(epoch), *(f"{norms.get(n, float('nan')):.6g}"
                                                for n in names)]) + "\n")
        if not self.grad_norms:
            return  # nothing recorded (training stopped in its first epoch): no figure
        try:
            plot_gradient_norms(self, os.path.join(out_dir, "gradient_flow.png"))
        except ImportError:
            pass


def _module(name):
    """How the report and the figure name a layer's module: its path in the model."""
    return f"module {name}" if name else "the model"


def plot_gradient_norms(flow, path, title="Gradient norm per layer"):
    """Per-layer gradient norms over epochs, log scale. Layers are the Linear layers numbered
    1..n from the input, as in the vanishing demo, with their module path (a Sequential's index)
    beside; the legend sits outside the axes so that it hides no curve."""
    fig = gradient_norms_figure(flow, title)
    from .plotting import save_figure

    save_figure(fig, path)
    return path


def gradient_norms_figure(flow, title="Gradient norm per layer"):
    from .plotting import new_figure

    fig = new_figure(7.5, 4, layout="constrained")  # says how to install matplotlib if it is not
    from matplotlib.ticker import MaxNLocator

    ax = fig.subplots()
    names = list(flow.grad_norms[-1])
    for k, name in enumerate(names, 1):
        ax.plot(flow.epochs, [g.get(name, np.nan) for g in flow.grad_norms], marker="o",
                label=f"layer {k} ({_module(name)})")
    norms = [v for g in flow.grad_norms for v in g.values() if math.isfinite(v)]
    smallest = min((v for v in norms if v > 0), default=None)
    if smallest is not None and min(norms) == 0:
        # a layer with no gradient at all (dead ReLUs) is the one to see, and log has no 0:
        # symlog is linear from 0 up to the smallest norm and logarithmic above
        ax.set_yscale("symlog", linthresh=smallest)
    elif smallest is not None:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.2
    ax.set_ylabel("‖∂L/∂W‖")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0,
              title="Linear layer\n(1 = next to the input)", title_fontsize=8)
    return fig
