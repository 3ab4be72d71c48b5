"""Adamax: Adam with the running root-mean-square replaced by a running maximum of |g|.

The infinity norm of the recent gradients needs no bias correction and cannot be driven to zero
by a run of small gradients as fast as an average can.
"""

from ..backend import get_array_module
from .adam import TakesBetas, count_step, followed_gradient
from .optimizer import Optimizer


def adamax_update(param, grad, state, *, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                  maximize=False):
    """One Adamax step on the array ``param`` in place (torch.optim.Adamax's equations).

        t ← t + 1;   g ← ±∇ + λ·θ
        m ← β₁·m + (1 − β₁)·g
        u ← max(β₂·u, |g| + ε)
        θ ← θ − η/(1 − β₁ᵗ) · m / u
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, beta1, beta2 = float(lr), float(beta1), float(beta2)
    eps, weight_decay = float(eps), float(weight_decay)
    t = count_step(state, param, "exp_avg", "exp_inf")

    g = followed_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    m, u = state["exp_avg"], state["exp_inf"]
    m += (1 - beta1) * (g - m)
    u *= beta2
    xp.maximum(u, xp.abs(g) + eps, out=u)
    param -= (lr / (1 - beta1**t)) * (m / u)


class Adamax(TakesBetas, Optimizer):
    """Adamax (Kingma & Ba 2015, section 7.1).

        m ← β₁·m + (1 − β₁)·g           running mean of the gradient
        u ← max(β₂·u, |g| + ε)          decaying maximum of its size
        θ ← θ − η/(1 − β₁ᵗ) · m / u

    ``weight_decay`` λ adds λ·θ to g. ``foreach=True`` updates each group in one batched call.
    """

    update = staticmethod(adamax_update)
    hyperparameters = ("lr", "betas", "eps", "weight_decay", "maximize")
    nonnegative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)
