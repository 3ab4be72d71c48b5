"""Learning-rate schedules, read from the library's scheduler objects epoch by epoch.

Each scheduler is attached to an SGD optimizer with lr = 0.1 and stepped once per epoch, as in
a training loop; the value plotted for epoch t is what ``get_last_lr()`` returned then, the rate
the optimizer would use during epoch t. ``ReduceLROnPlateau`` watches a metric instead of the
clock: it is fed a validation loss that falls and then stalls.
"""

import math

import numpy as np

from .. import optim
from ..nn import Parameter
from ..optim import lr_scheduler
from ._figure import new_figure, save

BASE_LR = 0.1
EPOCHS = 40
PLATEAU_FROM = 12
PATIENCE = 4


def plateauing_loss(epoch):
    """A made-up validation loss: falls until epoch 11 (to 0.392), then wobbles around 0.41
    without ever beating that (a plateau)."""
    if epoch < PLATEAU_FROM:
        return 0.35 + 0.65 * math.exp(-epoch / 4)
    return 0.41 + 0.01 * math.sin(epoch)


SCHEDULES = {
    "StepLR(step_size=10, gamma=0.5)":
        lambda opt: lr_scheduler.StepLR(opt, step_size=10, gamma=0.5),
    "MultiStepLR(milestones=[15, 25, 35], gamma=0.3)":
        lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[15, 25, 35], gamma=0.3),
    "ExponentialLR(gamma=0.9)": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR(T_max=40, eta_min=0.001)":
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS, eta_min=0.001),
    "LinearLR(start_factor=0.1, total_iters=8)  (warm-up)":
        lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=8),
    "LambdaLR(lambda t: 1 / (1 + 0.2·t))":
        lambda opt: lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + 0.2 * t)),
    f"ReduceLROnPlateau(factor=0.5, patience={PATIENCE})":
        lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=PATIENCE),
}


def lr_curve(make_scheduler, epochs=EPOCHS):
    """(get_last_lr() for each epoch, the optimizer's group['lr'] for each epoch)."""
    optimizer = optim.SGD([Parameter(np.zeros(1))], lr=BASE_LR)
    scheduler = make_scheduler(optimizer)
    reported, used = [], []
    for epoch in range(epochs):
        reported.append(scheduler.get_last_lr()[0])
        used.append(optimizer.param_groups[0]["lr"])
        # (the epoch's optimizer.step() calls would come here)
        if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
            scheduler.step(plateauing_loss(epoch))
        else:
            scheduler.step()
    return np.array(reported), np.array(used)


def schedule_curves(epochs=EPOCHS):
    """{schedule label: learning rates for epochs 0 … epochs − 1, from get_last_lr()}."""
    return {label: lr_curve(make, epochs)[0] for label, make in SCHEDULES.items()}


def schedule_figure(curves):
    """One panel per schedule, and the metric ReduceLROnPlateau watched in the last."""
    fig = new_figure(18, 8.5)
    epochs = np.arange(len(next(iter(curves.values()))))
    for k, (label, lrs) in enumerate(curves.items()):
        ax = fig.add_subplot(2, 4, k + 1)
        ax.step(epochs, lrs, where="post", color="#1f77b4", marker="o", ms=2.5)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        ax.set_ylim(0, BASE_LR * 1.08)
        ax.axhline(BASE_LR, color="#999999", ls=":", lw=1)
        ax.grid(alpha=0.3)
    ax = fig.add_subplot(2, 4, 8)
    ax.plot(epochs, [plateauing_loss(t) for t in epochs], color="#d62728", marker="o", ms=2.5)
    plateau = curves[f"ReduceLROnPlateau(factor=0.5, patience={PATIENCE})"]
    for t in np.flatnonzero(np.diff(plateau) < 0) + 1:
        ax.axvline(t, color="#1f77b4", ls="--", lw=1)
    best = min(plateauing_loss(t) for t in epochs)
    ax.axhline(best, color="#555555", ls=":", lw=1)
    # at the left end, below the dotted line: the dashed cuts all come after the plateau starts
    ax.text(epochs[0], best, f"best {best:.3f}", ha="left", va="top", fontsize=8)
    ax.set_title("the loss fed to ReduceLROnPlateau\n(dashed: where it halved the rate)",
                 fontsize=9)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.grid(alpha=0.3)
    return fig


def demo(out_dir):
    curves = schedule_curves()
    path = save(schedule_figure(curves), out_dir, "schedulers.png")
    shown = (0, 1, 5, 8, 10, 15, 20, 25, 30, 35, 39)
    lines = [f"{path}: the learning rate each scheduler sets, epoch by epoch (SGD, lr = "
             f"{BASE_LR}; values from get_last_lr()).", "",
             "epoch" + " " * 49 + "".join(f"{t:>8d}" for t in shown)]
    for label, lrs in curves.items():
        lines.append(f"{label:54s}" + "".join(f"{lrs[t]:8.4f}" for t in shown))
    plateau = curves[f"ReduceLROnPlateau(factor=0.5, patience={PATIENCE})"]
    cuts = (np.flatnonzero(np.diff(plateau) < 0) + 1).tolist()
    lines += ["",
              "StepLR and MultiStepLR drop in stairs; ExponentialLR shrinks by the same factor "
              "every epoch; CosineAnnealingLR glides",
              "from 0.1 to eta_min along half a cosine; LinearLR warms up from 0.01 to 0.1 "
              "over 8 epochs and then holds.",
              "ReduceLROnPlateau does not look at the clock: the loss stops improving after "
              f"epoch {PLATEAU_FROM - 1}; each time {PATIENCE + 1} epochs (more than "
              f"patience = {PATIENCE})",
              f"pass without improvement, it halves the rate: from epochs {cuts} on."]
    return "\n".join(lines)
