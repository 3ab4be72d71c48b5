"""Vanishing gradients: the same deep network with sigmoid, tanh and ReLU units.

Backpropagation multiplies, layer after layer, the upstream gradient by the weights and by the
activation's slope. A sigmoid's slope is at most 0.25, so through ten sigmoid layers the
gradient reaching the first layer is millions of times smaller than at the last one, and the
early layers hardly learn. tanh (slope up to 1) and ReLU (slope exactly 1 where active) pass
it on. Each net starts as the notes advise — Xavier (Glorot) weights for sigmoid and tanh, He
(Kaiming) weights for ReLU, zero biases — so the difference comes from the activations.
"""

import numpy as np

from .. import data, nn, optim
from ..random import manual_seed
from ..tensor import tensor
from ..train import fit
from ._figure import new_figure, save

DEPTH = 10  # hidden layers
WIDTH = 32
EPOCHS = 30
LR = 0.1
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
COLOURS = {"sigmoid": "#d62728", "tanh": "#ff7f0e", "relu": "#2ca02c"}


def deep_net(activation, depth=DEPTH, width=WIDTH, seed=0):
    """2 → ``depth`` hidden layers of ``width`` units → 1 logit, initialised for ``activation``."""
    manual_seed(seed)
    layers, n_in = [], 2
    for _ in range(depth):
        linear = nn.Linear(n_in, width)
        if activation == "relu":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, ACTIVATIONS[activation]()]
        n_in = width
    out = nn.Linear(width, 1)
    nn.init.xavier_normal_(out.weight)
    nn.init.zeros_(out.bias)
    return nn.Sequential(*layers, out)


def problem(seed=0):
    """Inner disc against outer ring (``data.circle``), standardised, targets of shape (N, 1)."""
    X, y = data.circle(400, seed=seed)
    return data.standardize(X), y.reshape(-1, 1).astype(np.float32)


def linear_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def gradient_norms(model, X, t):
    """‖∂L/∂W‖ for each Linear layer, input side first, from one backward of the whole set."""
    model.zero_grad()
    nn.BCEWithLogitsLoss()(model(tensor(X)), t).backward()
    return np.array([float(np.linalg.norm(m.weight.grad.array)) for m in linear_layers(model)])


def run(activation, epochs=EPOCHS, seed=0):
    """Build, measure the gradients at the start, train with plain SGD.

    Returns {'grad_norms': per layer at initialisation, 'losses': per epoch,
    'accuracy': final training accuracy, 'weight_change': ‖W_end − W_start‖ / ‖W_start‖ per layer}.
    """
    X, t = problem(seed)
    model = deep_net(activation, seed=seed)
    start = [m.weight.array.copy() for m in linear_layers(model)]
    norms = gradient_norms(model, X, t)
    history = fit(model, nn.BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=LR), (X, t),
                  epochs=epochs, batch_size=32, seed=seed, verbose=0)
    change = np.array([np.linalg.norm(m.weight.array - w0) / np.linalg.norm(w0)
                       for m, w0 in zip(linear_layers(model), start)])
    return {"grad_norms": norms, "losses": history.history["loss"],
            "accuracy": history.history["accuracy"][-1], "weight_change": change}


def demo(out_dir):
    results = {name: run(name) for name in ACTIVATIONS}
    layers = np.arange(1, DEPTH + 2)
    fig = new_figure(17, 5)
    ax = fig.add_subplot(1, 3, 1)
    for name, r in results.items():
        ax.plot(layers, r["grad_norms"], marker="o", color=COLOURS[name], label=name)
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("Linear layer (1 = next to the input, 11 = output)")
    ax.set_ylabel("‖∂L/∂W‖ at initialisation")
    ax.set_title("gradient reaching each layer (log scale)")
    ax.grid(alpha=0.3)
    ax.legend()
    ax = fig.add_subplot(1, 3, 2)
    for name, r in results.items():
        ax.plot(range(1, EPOCHS + 1), r["losses"], color=COLOURS[name],
                label=f"{name}: {r['accuracy']:.0%} right at the end")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy (training)")
    ax.set_ylim(0, None)
    ax.set_title(f"training: SGD, lr = {LR}, batches of 32")
    ax.grid(alpha=0.3)
    ax.legend()
    ax = fig.add_subplot(1, 3, 3)
    for name, r in results.items():
        ax.plot(layers, r["weight_change"], marker="o", color=COLOURS[name], label=name)
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("Linear layer (1 = next to the input, 11 = output)")
    ax.set_ylabel("‖W_end − W_start‖ / ‖W_start‖")
    ax.set_title(f"how much each layer learned in {EPOCHS} epochs")
    ax.grid(alpha=0.3)
    ax.legend()
    path = save(fig, out_dir, "vanishing.png")

    header = "layer        " + "".join(f"{i:>10d}" for i in layers)
    rows = [f"{name:12s} " + "".join(f"{v:10.1e}" for v in r["grad_norms"])
            for name, r in results.items()]
    moved = [f"{name:12s} " + "".join(f"{v:10.1e}" for v in r["weight_change"])
             for name, r in results.items()]
    sig, relu = results["sigmoid"], results["relu"]
    return "\n".join([
        f"{path}: one network, 2 inputs → {DEPTH} hidden layers of {WIDTH} units → 1 output, "
        "on the circle data set (400 points),",
        "with three activations. Initialisation: Xavier normal weights for sigmoid and tanh, He "
        "(Kaiming) normal for ReLU, biases 0.", "",
        "gradient norm ‖∂L/∂W‖ per Linear layer at initialisation (1 = input side):",
        header, *rows, "",
        f"sigmoid: the first layer gets {sig['grad_norms'][0] / sig['grad_norms'][-1]:.1e} × "
        "the last layer's gradient; each sigmoid layer multiplies it by its slope, at most 0.25.",
        f"The sigmoid net's first layer gets {relu['grad_norms'][0] / sig['grad_norms'][0]:.1e} "
        "times less gradient than the ReLU net's.", "",
        f"after {EPOCHS} epochs of SGD (lr {LR}), relative change of each layer's weights:",
        header, *moved, "",
        "final training loss / accuracy: " + ", ".join(
            f"{name} {r['losses'][-1]:.3f} / {r['accuracy']:.0%}" for name, r in results.items()),
        "The sigmoid net's early layers barely move, so it stays near loss ln 2 = 0.693 "
        "(a coin flip); tanh and ReLU learn the circle.",
    ])
