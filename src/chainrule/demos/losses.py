"""Why cross-entropy and not squared error for a probability: the gradient when it is wrong.

One sigmoid output p = σ(z) with target t = 1. The gradients dL/dz come from backward.
Squared error L = ½(p − t)² has dL/dz = (p − t)·p(1 − p): when the neuron is confidently wrong,
p(1 − p) ≈ 0 and it barely learns. Cross-entropy L = −log p has dL/dz = p − t: the more wrong,
the bigger the step.
"""

import numpy as np

from ..functional import log
from ..nn import functional as F
from ..tensor import tensor
from ._figure import new_figure, save


def sigmoid_losses(z, t=1.0):
    """For logits ``z`` and one target t: (p, squared error, cross-entropy, dSE/dz, dCE/dz)."""
    z_se = tensor(np.asarray(z, dtype=np.float64), requires_grad=True)
    z_ce = tensor(np.asarray(z, dtype=np.float64), requires_grad=True)
    p = F.sigmoid(z_se)
    se = 0.5 * (p - t) ** 2
    se.sum().backward()
    target = np.full(np.shape(z), t, dtype=np.float64)
    ce = F.binary_cross_entropy_with_logits(z_ce, target, reduction="none")
    ce.sum().backward()
    return p.array.copy(), se.array.copy(), ce.array.copy(), z_se.grad.array.copy(), \
        z_ce.grad.array.copy()


def class_losses(probs, target):
    """Cross-entropy −log p[target] and squared error ½Σ(p − onehot)² for one distribution."""
    p = tensor(np.asarray(probs, dtype=np.float64))
    onehot = np.eye(p.shape[0])[target]
    ce = F.nll_loss(log(p)[None, :], np.array([target])).item()
    se = F.sse(p, onehot).item()
    return ce, se


def demo(out_dir):
    z = np.linspace(-6, 6, 241)
    p, se, ce, dse, dce = sigmoid_losses(z)
    cases = np.array([-4.0, 4.0])  # confidently wrong, confidently right (target 1)
    cp, cse, cce, cdse, cdce = sigmoid_losses(cases)
    fig = new_figure(15, 4.5)
    ax = fig.add_subplot(1, 3, 1)
    ax.plot(z, ce, label="cross-entropy −log σ(z)", color="#d62728")
    ax.plot(z, se, label="squared error ½(σ(z) − 1)²", color="#1f77b4")
    ax.set_xlabel("logit z (target t = 1)")
    ax.set_title("loss")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 3, 2)
    ax.plot(z, np.abs(dce), label="|dCE/dz| = |σ(z) − 1|", color="#d62728")
    ax.plot(z, np.abs(dse), label="|dSE/dz| = |σ(z) − 1|·σ(z)(1 − σ(z))", color="#1f77b4")
    # each note sits beside its own pair of points, with an arrow to them
    for zc, g1, g2, shift in zip(cases, cdce, cdse, [(8, -30), (12, 60)]):
        ax.plot([zc, zc], [abs(g1), abs(g2)], "ko", ms=4)
        ax.annotate(f"z = {zc:+g}: CE {abs(g1):.3g}, SE {abs(g2):.3g}", (zc, abs(g1)),
                    fontsize=8, xytext=shift, textcoords="offset points",
                    ha="left" if zc < 0 else "right",
                    arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.8},
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
    ax.set_xlabel("logit z (target t = 1)")
    ax.set_title("gradient size (from backward)")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 3, 3)
    q = np.linspace(0.005, 1, 200)
    ax.plot(q, -np.log(q), color="#d62728")
    for v in (0.1, 0.5, 0.9):
        ax.plot(v, -np.log(v), "ko", ms=4)
        ax.annotate(f"p = {v}: {-np.log(v):.3f}", (v, -np.log(v)), fontsize=8,
                    xytext=(6, 4), textcoords="offset points")
    ax.set_xlabel("probability p given to the right class")
    ax.set_title("cross-entropy −log p")
    path = save(fig, out_dir, "losses.png")
    right, wrong = (0.7, 0.2, 0.1), (0.1, 0.2, 0.7)
    ce_r, se_r = class_losses(right, 0)
    ce_w, se_w = class_losses(wrong, 0)
    return "\n".join([
        f"{path}: cross-entropy vs squared error on one sigmoid output with target 1.",
        "",
        "                         p = σ(z)   squared error   dSE/dz     cross-entropy   dCE/dz",
        f"wrong (z = -4)           {cp[0]:.4f}     {cse[0]:.4f}          {cdse[0]:+.4f}    "
        f"{cce[0]:.4f}          {cdce[0]:+.4f}",
        f"right (z = +4)           {cp[1]:.4f}     {cse[1]:.4f}          {cdse[1]:+.4f}    "
        f"{cce[1]:.4f}          {cdce[1]:+.4f}",
        "",
        f"When the neuron is wrong, squared error's gradient ({cdse[0]:+.4f}) is "
        f"{abs(cdce[0] / cdse[0]):.0f} times smaller than cross-entropy's ({cdce[0]:+.4f}):",
        "the sigmoid's slope p(1 − p) multiplies it and is nearly 0 there.",
        "",
        "three classes, right class 0:",
        f"  right guess p = {right}: cross-entropy −log 0.7 = {ce_r:.4f}, "
        f"squared error ½Σ(p − t)² = {se_r:.4f}",
        f"  wrong guess p = {wrong}: cross-entropy −log 0.1 = {ce_w:.4f}, "
        f"squared error ½Σ(p − t)² = {se_w:.4f}",
        "−log p grows without bound as p → 0 (right panel): a confident mistake costs the most.",
    ])
