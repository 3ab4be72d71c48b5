"""NAdam: Adam with Nesterov momentum, looking one step ahead along the running mean.

The step mixes the current gradient and the running mean with the momentum of this step and of
the next, μₜ and μₜ₊₁, which ramp up over the first few thousand steps (``momentum_decay``).
"""

from ..backend import get_array_module
from .adam import TakesBetas, count_step, followed_gradient
from .optimizer import Optimizer


def nadam_update(param, grad, state, *, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    """One NAdam step on the array ``param`` in place (torch.optim.NAdam's equations).

        t ← t + 1;   g ← ±∇ (+ λ·θ);   θ ← θ·(1 − η·λ) first with decoupled_weight_decay
        μₜ = β₁·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ = β₁·(1 − ½·0.96^((t+1)·ψ)),   Π ← Π·μₜ
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
        d = √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − η·(1 − μₜ)/(1 − Π) · g/d − η·μₜ₊₁/(1 − Π·μₜ₊₁) · m/d
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    weight_decay, momentum_decay = float(weight_decay), float(momentum_decay)
    t = count_step(state, param, "exp_avg", "exp_avg_sq", mu_product=1.0)

    g = followed_gradient(param, grad, lr=lr, weight_decay=weight_decay,
                          decoupled=decoupled_weight_decay, maximize=maximize)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product = state["mu_product"] = float(state["mu_product"]) * mu

    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * (g * g)
    denom = xp.sqrt(v / (1 - beta2**t))
    denom += eps
    param -= (lr * (1 - mu) / (1 - mu_product)) * (g / denom)
    param -= (lr * mu_next / (1 - mu_product * mu_next)) * (m / denom)


class NAdam(TakesBetas, Optimizer):
    """NAdam (Dozat 2016): Adam with Nesterov momentum.

        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        μₜ = β₁·(1 − ½·0.96^(t·ψ))                     momentum warming up (ψ: momentum_decay)
        θ ← θ − η·[(1 − μₜ)·g/(1 − Πμ) + μₜ₊₁·m/(1 − Πμ·μₜ₊₁)] / (√(v/(1 − β₂ᵗ)) + ε)

    ``weight_decay`` λ adds λ·θ to g, or with ``decoupled_weight_decay`` shrinks θ by η·λ first
    (as AdamW). ``foreach=True`` updates each group in one batched call.
    """

    update = staticmethod(nadam_update)
    hyperparameters = ("lr", "betas", "eps", "weight_decay", "momentum_decay",
                       "decoupled_weight_decay", "maximize")
    nonnegative = ("lr", "eps", "weight_decay", "momentum_decay")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)
