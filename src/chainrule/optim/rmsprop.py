"""RMSprop: divide each weight's step by a running root-mean-square of its recent gradients.

Like Adagrad, but the squared gradients are averaged with exponential forgetting (α), so the
step size adapts to the recent scale of the gradient instead of shrinking forever.
"""

from ..backend import get_array_module
from .optimizer import Optimizer


def rmsprop_update(param, grad, state, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                   momentum=0.0, centered=False, maximize=False):
    """One RMSprop step on the array ``param`` in place (torch.optim.RMSprop's equations).

        g ← ±∇ + λ·θ
        s ← α·s + (1 − α)·g²
        d ← √s + ε,  or with centered: ḡ ← α·ḡ + (1 − α)·g,  d ← √(s − ḡ²) + ε
        b ← μ·b + g/d,  θ ← θ − η·b      (momentum μ > 0)
        θ ← θ − η·g/d                     (otherwise)
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, alpha, eps = float(lr), float(alpha), float(eps)
    weight_decay, momentum = float(weight_decay), float(momentum)
    if not state:
        state["step"] = 0
        state["square_avg"] = xp.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        if centered:
            state["grad_avg"] = xp.zeros_like(param)
    state["step"] += 1

    g = xp.negative(grad) if maximize else grad  # the caller's grad is never written
    if weight_decay:
        g = g + weight_decay * param

    square_avg = state["square_avg"]
    square_avg *= alpha
    scratch = xp.multiply(g, g)
    scratch *= 1 - alpha
    square_avg += scratch
    if centered:
        grad_avg = state["grad_avg"]
        xp.subtract(g, grad_avg, out=scratch)  # ḡ moves the fraction (1 − α) of the way to g
        scratch *= 1 - alpha
        grad_avg += scratch
        xp.multiply(grad_avg, grad_avg, out=scratch)
        xp.subtract(square_avg, scratch, out=scratch)  # the variance of g, not its raw 2nd moment
        denom = xp.sqrt(scratch, out=scratch)
    else:
        denom = xp.sqrt(square_avg, out=scratch)
    denom += eps

    step = xp.divide(g, denom, out=scratch)
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf *= momentum
        buf += step
        step = xp.multiply(buf, lr, out=scratch)
    else:
        step *= lr
    param -= step


class RMSprop(Optimizer):
    """RMSprop (root mean square propagation).

        s ← α·s + (1 − α)·g²
        θ ← θ − η·g / (√s + ε)

    ``centered`` divides by the running standard deviation √(s − ḡ²) instead; ``momentum`` μ
    accumulates the scaled steps in a buffer; ``weight_decay`` λ adds λ·θ to g.
    ``foreach=True`` updates each group in one batched call (``optim/foreach.py``); ``None``,
    the default, lets ``step()`` batch the small parameters (``optim/foreach.py``).
    """

    update = staticmethod(rmsprop_update)
    hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
    nonnegative = ("lr", "alpha", "eps", "momentum", "weight_decay")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)
