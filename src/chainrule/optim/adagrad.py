"""Adagrad: each weight's step shrinks with the sum of its squared gradients so far.

Weights with large or frequent gradients slow down, rare ones keep learning; since the sum only
grows, the effective learning rate only falls (RMSprop's fix: forget old gradients).
"""

from ..backend import get_array_module
from .optimizer import Optimizer


def adagrad_update(param, grad, state, *, lr, lr_decay=0.0, weight_decay=0.0,
                   initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    """One Adagrad step on the array ``param`` in place (torch.optim.Adagrad's equations).

        t ← t + 1;   g ← ±∇ + λ·θ
        η_t = η / (1 + (t − 1)·lr_decay)
        G ← G + g²                     (G starts at initial_accumulator_value)
        θ ← θ − η_t · g / (√G + ε)
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, lr_decay, weight_decay, eps = float(lr), float(lr_decay), float(weight_decay), float(eps)
    if not state:
        state["step"] = 0
        state["sum"] = xp.full_like(param, initial_accumulator_value)
    state["step"] += 1

    g = xp.negative(grad) if maximize else grad  # the caller's grad is never written
    if weight_decay:
        g = g + weight_decay * param
    clr = lr / (1 + (state["step"] - 1) * lr_decay)

    total = state["sum"]
    scratch = xp.multiply(g, g)
    total += scratch
    std = xp.sqrt(total, out=scratch)
    std += eps
    step = xp.divide(g, std, out=scratch)
    step *= clr
    param -= step


class Adagrad(Optimizer):
    """Adagrad (adaptive gradient).

        G ← G + g²
        θ ← θ − η·g / (√G + ε)

    ``lr_decay`` divides η by 1 + (t − 1)·lr_decay at step t; ``weight_decay`` λ adds λ·θ to g.
    A parameter group's own ``initial_accumulator_value`` is honoured (torch uses the
    constructor's value for every group). ``foreach=True`` updates each group in one batched
    call (``optim/foreach.py``); ``None``, the default, lets ``step()`` batch the small
    parameters.
    """

    update = staticmethod(adagrad_update)
    hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps",
                       "maximize")
    nonnegative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)
