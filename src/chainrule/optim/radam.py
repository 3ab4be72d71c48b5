"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is reliable.

In the first steps v rests on few gradients, and m/√v can be huge. RAdam measures how many
gradients v effectively holds (ρₜ) and, until ρₜ > 5, steps by momentum alone; after that it
scales the Adam step by a rectification factor rₜ that rises towards 1.
"""

import math

from ..backend import get_array_module
from .adam import TakesBetas, count_step, followed_gradient
from .optimizer import Optimizer


def radam_update(param, grad, state, *, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, maximize=False):
    """One RAdam step on the array ``param`` in place (torch.optim.RAdam's equations).

        t ← t + 1;   g ← ±∇ (+ λ·θ);   θ ← θ·(1 − η·λ) first with decoupled_weight_decay
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   m̂ = m/(1 − β₁ᵗ)
        ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        ρₜ > 5:  rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),
                 θ ← θ − η·m̂·rₜ·√(1 − β₂ᵗ)/(√v + ε)
        else:    θ ← θ − η·m̂
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    weight_decay = float(weight_decay)
    t = count_step(state, param, "exp_avg", "exp_avg_sq")

    g = followed_gradient(param, grad, lr=lr, weight_decay=weight_decay,
                          decoupled=decoupled_weight_decay, maximize=maximize)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * (g * g)

    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    step = m / bias_correction1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
    if rho_t > 5.0:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                         / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        step *= lr
        step *= bias_correction2**0.5 / (xp.sqrt(v) + eps)
        step *= rect
    else:
        step *= lr
    param -= step


class RAdam(TakesBetas, Optimizer):
    """RAdam (Liu et al. 2020): rectified Adam.

        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,   m̂ = m/(1 − β₁ᵗ)
        ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)          how many gradients v effectively averages
        θ ← θ − η·m̂·rₜ·√(1 − β₂ᵗ)/(√v + ε)   once ρₜ > 5;   θ ← θ − η·m̂ before

    ``weight_decay`` λ adds λ·θ to g, or with ``decoupled_weight_decay`` shrinks θ by η·λ first.
    ``foreach=True`` updates each group in one batched call.
    """

    update = staticmethod(radam_update)
    hyperparameters = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay",
                       "maximize")
    nonnegative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)
