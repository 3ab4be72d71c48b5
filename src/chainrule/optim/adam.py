"""Adam and AdamW: momentum on the gradient, scaled per weight by its recent magnitude.

Adam keeps two running averages per weight, of the gradient (m, the direction) and of its square
(v, the scale), corrects both for starting at zero, and steps by m / √v: every weight moves about
η per step whatever the size of its gradient. AdamW decays the weights directly instead of adding
λ·θ to the gradient, so the decay is not rescaled by √v.
"""

from ..backend import get_array_module
from .optimizer import Optimizer


def adam_update(param, grad, state, *, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                amsgrad=False, maximize=False, decoupled_weight_decay=False):
    """One Adam (or AdamW) step on the array ``param`` in place (torch.optim.Adam's equations).

        t ← t + 1;   g ← ±∇ (+ λ·θ for Adam);   θ ← θ·(1 − η·λ) first for AdamW
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²                 (v̂ ← max(v̂, v) with amsgrad, used for v below)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    ε is added after the bias correction of √v, as torch does.
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    weight_decay = float(weight_decay)
    t = count_step(state, param, "exp_avg", "exp_avg_sq", *(["max_exp_avg_sq"] if amsgrad else []))

    g = followed_gradient(param, grad, lr=lr, weight_decay=weight_decay,
                          decoupled=decoupled_weight_decay, maximize=maximize)

    m, v = state["exp_avg"], state["exp_avg_sq"]
    scratch = xp.subtract(g, m)  # m moves the fraction (1 − β₁) of the way to g
    scratch *= 1 - beta1
    m += scratch
    v *= beta2
    xp.multiply(g, g, out=scratch)
    scratch *= 1 - beta2
    v += scratch
    if amsgrad:
        v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])

    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    denom = xp.sqrt(v, out=scratch)
    denom /= bias_correction2**0.5
    denom += eps
    step = xp.divide(m, denom, out=scratch)
    step *= lr / bias_correction1
    param -= step


def check_betas(betas):
    """Raise ValueError unless ``betas`` is a pair of numbers in [0, 1) (Adam and its kin)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


def count_step(state, param, *moments, **scalars):
    """This parameter's step number t (from 1). On its first step the state starts: ``moments``
    as zero arrays shaped like the parameter, ``scalars`` at the values given."""
    if not state:
        state["step"] = 0
        state.update(scalars)
        for name in moments:
            state[name] = get_array_module(param).zeros_like(param)  # on param's device
    state["step"] += 1
    return state["step"]


def followed_gradient(param, grad, *, lr, weight_decay, decoupled=False, maximize=False):
    """The gradient an update of Adam's kin follows: −∇ when maximizing; weight decay λ added to
    it as λ·θ (L2), or, decoupled (AdamW's way), applied to θ itself: θ ← θ·(1 − ηλ). The
    caller's grad is never written."""
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    g = xp.negative(grad) if maximize else grad
    if weight_decay:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    return g


class TakesBetas:
    """Adam's kin: ``betas`` is checked as a pair in [0, 1) and reaches the update function as
    ``beta1`` and ``beta2``. Mixed in before ``Optimizer``."""

    def update_options(self, group):
        options = super().update_options(group)
        options["beta1"], options["beta2"] = options.pop("betas")
        return options

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_betas(group["betas"])


class Adam(TakesBetas, Optimizer):
    """Adam (adaptive moment estimation).

        m ← β₁·m + (1 − β₁)·g          running mean of the gradient
        v ← β₂·v + (1 − β₂)·g²         running mean of its square
        m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)   (corrects the start at zero)
        θ ← θ − η·m̂ / (√v̂ + ε)

    ``weight_decay`` λ adds λ·θ to g (L2); ``amsgrad`` divides by the largest v̂ so far.
    ``foreach=True`` updates each group in one batched call (``optim/foreach.py``); ``None``,
    the default, lets ``step()`` batch the small parameters (``optim/foreach.py``).
    """

    update = staticmethod(adam_update)
    hyperparameters = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")
    nonnegative = ("lr", "eps", "weight_decay")
    _decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def update_options(self, group):
        """The group's hyperparameters (``betas`` as beta1, beta2) and AdamW's decoupling."""
        options = super().update_options(group)
        options["decoupled_weight_decay"] = self._decoupled_weight_decay
        return options


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

        θ ← θ − η·λ·θ                  decay the weights directly...
        θ ← θ − η·m̂ / (√v̂ + ε)         ...then the Adam step on the plain gradient

    Unlike Adam's L2 term, the decay is not divided by √v̂, so every weight decays at the same
    rate. ``weight_decay`` defaults to 1e-2.
    """

    _decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, foreach=foreach)
