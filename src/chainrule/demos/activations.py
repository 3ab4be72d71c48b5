"""Activation functions and their derivatives, the derivatives computed by the engine.

Each curve dy/dx comes from ``backward``: y = h(x) for a whole grid of x at once, then
(Σ y).backward() puts dy_i/dx_i in x.grad (each y_i depends on x_i only). Nothing is
differentiated by hand here: the figure shows what backpropagation will actually use.
"""

import numpy as np

from ..nn import functional as F
from ..tensor import tensor
from ._figure import new_figure, save

ACTIVATIONS = {
    "step": F.step,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "relu": F.relu,
    "leaky_relu (slope 0.1)": lambda x: F.leaky_relu(x, 0.1),
    "elu (α = 1)": F.elu,
    "identity": F.identity,
}


def activation_curve(fn, x):
    """(y, dy/dx) of an elementwise activation at the points ``x``, dy/dx by backward."""
    xt = tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = fn(xt)
    y.sum().backward()
    return y.array.copy(), xt.grad.array.copy()


def softmax_jacobian(z):
    """(p, J) with p = softmax(z) and J[i, j] = dp_i/dz_j, row i from backward of p_i."""
    z = np.asarray(z, dtype=np.float64)
    rows = []
    for i in range(z.size):
        zt = tensor(z, requires_grad=True)
        p = F.softmax(zt)
        p[i].backward()
        rows.append(zt.grad.array.copy())
    return F.softmax(tensor(z)).array.copy(), np.stack(rows)


def demo(out_dir):
    x = np.linspace(-4, 4, 401)
    fig = new_figure(14, 10)
    lines = []
    for k, (label, fn) in enumerate(ACTIVATIONS.items()):
        y, dy = activation_curve(fn, x)
        ax = fig.add_subplot(3, 3, k + 1)
        ax.plot(x, y, label="h(x)", color="#1f77b4")
        ax.plot(x, dy, label="dh/dx (engine)", color="#d62728", ls="--")
        ax.axhline(0, color="#999999", lw=0.5)
        ax.axvline(0, color="#999999", lw=0.5)
        ax.set_title(label)
        ax.legend(fontsize=8, loc="upper left")
        i = int(np.argmax(dy))
        lines.append(f"{label:24s} h(-4) = {y[0]:8.4g}  h(4) = {y[-1]:8.4g}   dh/dx: max "
                     f"{dy[i]:.4g} at x = {x[i]:.3g}, at x = -4: {dy[0]:.4g}, at 4: {dy[-1]:.4g}")
    z = np.array([1.0, 2.0, 3.0])
    p, jac = softmax_jacobian(z)
    ax = fig.add_subplot(3, 3, 8)
    ax.bar(["z1 = 1", "z2 = 2", "z3 = 3"], p, color="#1f77b4")
    for i, v in enumerate(p):
        ax.text(i, v + 0.01, f"{v:.3f}", ha="center")
    ax.set_ylim(0, 1)
    ax.set_title("softmax of z = (1, 2, 3)")
    ax = fig.add_subplot(3, 3, 9)
    image = ax.imshow(jac, cmap="RdBu", vmin=-0.25, vmax=0.25)
    for (i, j), v in np.ndenumerate(jac):
        ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(3), ["dz1", "dz2", "dz3"])
    ax.set_yticks(range(3), ["dp1", "dp2", "dp3"])
    ax.set_title("softmax Jacobian dp_i/dz_j (engine)")
    fig.colorbar(image, ax=ax, fraction=0.046)
    path = save(fig, out_dir, "activations.png")
    jac_text = "\n".join("    [" + ", ".join(f"{v:7.4f}" for v in row) + "]" for row in jac)
    return "\n".join([
        f"{path}: each activation h (blue) and its derivative as backward computes it (red).",
        "", *lines, "",
        "step: the derivative is 0 everywhere, so no gradient passes: the perceptron's step "
        "cannot be trained by backpropagation.",
        "sigmoid: the derivative is at most 0.25 (at 0) and near 0 for large |x|: stacked "
        "sigmoids shrink gradients (vanishing gradients).",
        "tanh: at most 1, also saturating. relu: 1 for x > 0, 0 otherwise (0 at the kink).",
        "",
        f"softmax(1, 2, 3) = ({', '.join(f'{v:.4f}' for v in p)}); its Jacobian, "
        "row i by backward of p_i, is diag(p) − p·pᵀ:",
        jac_text,
        f"each row sums to {np.abs(jac.sum(axis=1)).max():.1e} (≈ 0): raising one score takes "
        "probability from the others.",
    ])
