"""Adadelta: a step whose size is set by the ratio of recent update sizes to recent gradients.

Two running averages per weight, of the squared gradient and of the squared update, give each
weight a step in the units of the weight itself, so the learning rate can stay at 1.
"""

from ..backend import get_array_module
from .optimizer import Optimizer


def adadelta_update(param, grad, state, *, lr, rho=0.9, eps=1e-6, weight_decay=0.0,
                    maximize=False):
    """One Adadelta step on the array ``param`` in place (torch.optim.Adadelta's equations).

        g ← ±∇ + λ·θ
        s ← ρ·s + (1 − ρ)·g²
        Δ ← √(u + ε) / √(s + ε) · g
        u ← ρ·u + (1 − ρ)·Δ²
        θ ← θ − η·Δ
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, rho, eps, weight_decay = float(lr), float(rho), float(eps), float(weight_decay)
    if not state:
        state["step"] = 0
        state["square_avg"] = xp.zeros_like(param)
        state["acc_delta"] = xp.zeros_like(param)
    state["step"] += 1

    g = xp.negative(grad) if maximize else grad  # the caller's grad is never written
    if weight_decay:
        g = g + weight_decay * param
    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
    square_avg *= rho
    square_avg += (1 - rho) * (g * g)
    std = xp.sqrt(square_avg + eps)
    delta = xp.sqrt(acc_delta + eps)
    delta /= std
    delta *= g
    acc_delta *= rho
    acc_delta += (1 - rho) * (delta * delta)
    delta *= lr
    param -= delta


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012).

        s ← ρ·s + (1 − ρ)·g²                    running mean of the squared gradient
        Δ ← √(u + ε) / √(s + ε) · g             the step, in the weight's own units
        u ← ρ·u + (1 − ρ)·Δ²                    running mean of the squared step
        θ ← θ − η·Δ

    ``weight_decay`` λ adds λ·θ to g. ``foreach=True`` updates each group in one batched call.
    """

    update = staticmethod(adadelta_update)
    hyperparameters = ("lr", "rho", "eps", "weight_decay", "maximize")
    nonnegative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: rho={group['rho']} (must be in [0, 1])")
