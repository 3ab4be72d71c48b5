"""Learning before backpropagation: Hebb's rule, the perceptron and Adaline on AND, OR and XOR.

A single neuron separates its inputs with one straight line w·x + b = 0. AND and OR have such
a line; XOR does not: (0,1) and (1,0) must be on one side, (0,0) and (1,1) on the other.
"""

import numpy as np

from ..rules import Adaline, Perceptron, train_hebb
from ._figure import new_figure, save

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TARGETS = {"AND": np.array([0, 0, 0, 1.0]), "OR": np.array([0, 1, 1, 1.0]),
           "XOR": np.array([0, 1, 1, 0.0])}


def learn(problem):
    """Train the three learners on one problem; returns {learner: (weights, bias, accuracy,
    details)} with the line drawn in the 0/1 input coordinates."""
    t = TARGETS[problem]
    # Hebb works with bipolar patterns (±1): with 0/1 an inactive input never learns anything.
    w, b = train_hebb(2 * X - 1, 2 * t - 1)
    hebb_pred = (np.sign((2 * X - 1) @ w + b) > 0).astype(float)
    # the same line in 0/1 coordinates: w·(2x − 1) + b = (2w)·x + (b − Σw)
    out = {"Hebb": (2 * w, b - w.sum(), float(np.mean(hebb_pred == t)),
                    f"w = {w.tolist()}, b = {b:g} (bipolar)")}
    perceptron = Perceptron(2, eta=0.1)
    mistakes = perceptron.fit(X, t, epochs=30)
    out["Perceptron"] = (perceptron.weights.copy(), perceptron.bias,
                         perceptron.accuracy(X, t),
                         f"mistakes per epoch {mistakes[:8]}{' ...' if len(mistakes) > 8 else ''}"
                         f" ({'converged' if mistakes[-1] == 0 else 'never converged'} after "
                         f"{len(mistakes)} epochs)")
    adaline = Adaline(2, eta=0.05)
    losses = adaline.fit(X, t, epochs=100)
    # Adaline's class line is where its linear output crosses the threshold 0.5
    out["Adaline"] = (adaline.weights.copy(), adaline.bias - adaline.threshold,
                      adaline.accuracy(X, t), f"final mean ½(t − y)² = {losses[-1]:.4f}")
    return out


def outputs(w, b):
    """What the neuron answers for each pattern: 1 where w·x + b > 0 (all three learners use
    the strict >, so a pattern on the line gets 0)."""
    return (X @ w + b > 0).astype(float)


def _draw(ax, w, b, t, title):
    # the side that answers 1 is shaded, and each pattern is labelled with the neuron's answer:
    # a learned line can pass exactly through a pattern, and then only the label tells
    gx, gy = np.meshgrid(np.linspace(-0.5, 1.5, 201), np.linspace(-0.5, 1.5, 201))
    ax.contourf(gx, gy, (gx * w[0] + gy * w[1] + b > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                colors=["#ffffff", "#f6c9c9"])
    colours = np.where(t > 0, "#d62728", "#1f77b4")
    ax.scatter(X[:, 0], X[:, 1], c=colours, s=120, zorder=3, edgecolors="black")
    for (x0, x1), out in zip(X, outputs(w, b)):
        ax.annotate(f"→ {out:.0f}", (x0, x1), xytext=(9, 7), textcoords="offset points",
                    fontsize=9, zorder=4)
    grid = np.linspace(-0.5, 1.5, 2)
    if abs(w[1]) > 1e-12:
        ax.plot(grid, -(w[0] * grid + b) / w[1], color="black")
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], color="black")
    else:
        ax.text(0.5, 0.5, "w = 0: no line", ha="center", va="center", fontsize=9)
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.set_aspect("equal")
    ax.set_xlabel("x₁", labelpad=1)
    ax.set_ylabel("x₂", labelpad=1)
    ax.set_title(title, fontsize=10)


def demo(out_dir):
    fig = new_figure(11, 11)
    lines = ["Each panel: the four input patterns (red: target 1, blue: target 0), the line "
             "w·x + b = 0 the neuron learned,",
             "its side where w·x + b > 0 shaded (the neuron answers 1 there), and the answer "
             "beside each pattern (→ 1 or → 0).", ""]
    for row, problem in enumerate(TARGETS):
        results = learn(problem)
        lines.append(f"{problem}:")
        for col, (learner, (w, b, acc, details)) in enumerate(results.items()):
            ax = fig.add_subplot(3, 3, 3 * row + col + 1)
            _draw(ax, w, b, TARGETS[problem], f"{learner} on {problem}: {acc:.0%} right")
            lines.append(f"  {learner:10s} accuracy {acc:.0%}   {details}")
    path = save(fig, out_dir, "rules.png")
    return "\n".join([f"{path}: Hebb's rule, the perceptron rule and the delta rule (Adaline).",
                      "", *lines, "",
                      "On XOR no line can put (0,1) and (1,0) on one side and (0,0), (1,1) on "
                      "the other, so at most 3 of 4 patterns can be right:",
                      "Hebb's updates cancel out (w = 0), the perceptron keeps making mistakes "
                      "every epoch, and Adaline's least-squares line helps no one.",
                      "A hidden layer fixes this, and training a hidden layer needs "
                      "backpropagation."])
