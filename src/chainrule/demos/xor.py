"""XOR: one layer cannot learn it, one hidden layer can.

Logistic regression (Linear(2, 1), a sigmoid and binary cross-entropy) draws a single straight
line p = 0.5 through the plane, and no line puts (0,1), (1,0) on one side and (0,0), (1,1) on
the other. A 2-4-1 tanh network bends its boundary: its hidden units make new features in
which XOR is a line. Both are trained by the same ``fit`` with the same optimizer; only the
architecture differs.
"""

import numpy as np

from .. import data, nn, optim
from ..random import manual_seed
from ..train import fit, predict
from ._figure import new_figure, save

GATE_EPOCHS = 400  # full-batch Adam steps on the four patterns
CLOUD_EPOCHS = 60
CLOUD_SIZE = 200
CLOUD_NOISE = 0.1  # the Playground's label noise: a few points near the axes are flipped


def logistic_regression():
    return nn.Linear(2, 1)


def mlp(hidden=4):
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def accuracy(model, X, y):
    """Fraction of points where the predicted class (logit > 0, i.e. p > 0.5) is the label."""
    logits = predict(model, X).reshape(-1)
    return float(np.mean((logits > 0) == (np.asarray(y).reshape(-1) > 0)))


def train(model, X, y, *, epochs, batch_size, lr, seed=0):
    """Fit ``model`` (logits out) with sigmoid + binary cross-entropy and Adam; returns the
    per-epoch training losses."""
    targets = np.asarray(y, dtype=np.float32).reshape(-1, 1)
    history = fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=lr),
                  (X, targets), epochs=epochs, batch_size=batch_size, metrics=(), seed=seed,
                  verbose=0)
    return history.history["loss"]


def learn_gate(seed=0):
    """Logistic regression and the 2-4-1 tanh MLP on the four XOR patterns.

    Returns ``(X, y, {name: (model, losses, accuracy)})``.
    """
    X, y = data.logic_gate("xor")
    out = {}
    for name, build in (("logistic regression", logistic_regression), ("MLP 2-4-1 tanh", mlp)):
        manual_seed(seed)
        model = build()
        losses = train(model, X, y, epochs=GATE_EPOCHS, batch_size=4, lr=0.05, seed=seed)
        out[name] = (model, losses, accuracy(model, X, y))
    return X, y, out


def learn_cloud(seed=0):
    """The same two models on a noisy XOR cloud (``data.xor``), inputs divided by 5."""
    X, y = data.xor(CLOUD_SIZE, noise=CLOUD_NOISE, seed=seed)
    X = X / 5.0  # tanh works best on inputs of size about 1
    out = {}
    for name, build in (("logistic regression", logistic_regression),
                        ("MLP 2-8-1 tanh", lambda: mlp(8))):
        manual_seed(seed)
        model = build()
        losses = train(model, X, y, epochs=CLOUD_EPOCHS, batch_size=20, lr=0.02, seed=seed)
        out[name] = (model, losses, accuracy(model, X, y))
    return X, y, out


def _probability_map(ax, model, X, y, lim, title):
    grid = np.linspace(-lim, lim, 161)
    gx, gy = np.meshgrid(grid, grid)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    # rounded so that a constant 0.5 ± 1e-8 fills one colour band, not two
    p = np.round(1 / (1 + np.exp(-predict(model, points).reshape(gx.shape))), 4)
    image = ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
    if p.max() - p.min() > 1e-3:
        ax.contour(gx, gy, p, levels=[0.5], colors="black", linewidths=1.5)
    else:  # a 0.5 contour through rounding noise would look like a real boundary
        ax.text(0, 0.5 * lim, f"p = {p.mean():.3f} everywhere:\nno boundary at all",
                ha="center", va="center", fontsize=10,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    colours = np.where(np.asarray(y) > 0, "#d62728", "#1f77b4")
    ax.scatter(X[:, 0], X[:, 1], c=colours, s=90 if len(X) <= 4 else 18, zorder=3,
               edgecolors="black", linewidths=0.6)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("x₁ (first input)")
    ax.set_ylabel("x₂ (second input)")
    ax.set_title(title, fontsize=10)
    return image


def demo(out_dir):
    Xg, yg, gate = learn_gate()
    Xc, yc, cloud = learn_cloud()
    fig = new_figure(16, 9.5)
    for row, (X, y, results, lim, what) in enumerate(
            [(Xg, yg, gate, 1.5, "the four XOR patterns"),
             (Xc, yc, cloud, 1.15, f"{CLOUD_SIZE} noisy XOR points")]):
        for col, (name, (model, _, acc)) in enumerate(results.items()):
            ax = fig.add_subplot(2, 3, 3 * row + col + 1)
            image = _probability_map(ax, model, X, y, lim,
                                     f"{name} on {what}: {acc:.0%} right")
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="p(class 1)")
        ax = fig.add_subplot(2, 3, 3 * row + 3)
        for (name, (_, losses, _)), colour in zip(results.items(), ["#7f7f7f", "#2ca02c"]):
            ax.plot(range(1, len(losses) + 1), losses, label=name, color=colour)
        ax.axhline(np.log(2), color="#999999", ls=":", lw=1)
        ax.text(len(losses), np.log(2) * 1.04, "ln 2: p = 0.5 for every point", fontsize=8,
                ha="right", va="bottom", color="#555555")
        ax.set_ylim(0, None)
        ax.set_xlabel("epoch")
        ax.set_ylabel("binary cross-entropy (training)")
        ax.set_title(f"loss on {what}", fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
    path = save(fig, out_dir, "xor.png")

    lines = []
    for what, results in (("the four patterns (0,0) (0,1) (1,0) (1,1), targets 0 1 1 0", gate),
                          (f"{CLOUD_SIZE} noisy XOR points (label noise {CLOUD_NOISE})", cloud)):
        lines.append(f"{what}:")
        for name, (_, losses, acc) in results.items():
            lines.append(f"  {name:20s} loss {losses[0]:.4f} → {losses[-1]:.4f}   "
                         f"accuracy {acc:.0%}")
    lr_model = gate["logistic regression"][0]
    p_lr = 1 / (1 + np.exp(-predict(lr_model, Xg).reshape(-1)))
    p_mlp = 1 / (1 + np.exp(-predict(gate["MLP 2-4-1 tanh"][0], Xg).reshape(-1)))
    w = lr_model.weight.array.reshape(-1)
    return "\n".join([
        f"{path}: p(class 1) over the plane (red: class 1, blue: class 0, black line: p = 0.5)",
        "for logistic regression (left) and an MLP (middle), with their training losses "
        "(right).", "",
        *lines, "",
        f"logistic regression's best on the four patterns: w = ({w[0]:.3g}, {w[1]:.3g}), "
        f"b = {float(lr_model.bias.array[0]):.3g},",
        "  p = (" + ", ".join(f"{v:.3f}" for v in p_lr) + f"): it answers 0.5 for every pattern, "
        f"and its loss sits at ln 2 = {np.log(2):.4f}.",
        "  Any line it could draw gets at most 3 of 4 patterns right; its accuracy above is a "
        "coin flip on outputs that are all 0.5.",
        f"  On the cloud its line cuts one quadrant off the other three: "
        f"{cloud['logistic regression'][2]:.0%} right, never more than about 75%.",
        "the MLP: p = (" + ", ".join(f"{v:.3f}" for v in p_mlp) + "): its tanh hidden units "
        "carve the plane into regions, so the boundary bends around the corners.",
    ])
