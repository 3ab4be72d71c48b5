"""Stochastic gradient descent: step against the gradient, θ ← θ − η·g.

With momentum the step follows a running sum of past gradients instead, so directions that
agree from step to step speed up and ones that flip sign cancel out.
"""

from ..backend import get_array_module
from .optimizer import Optimizer


def sgd_update(param, grad, state, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
               nesterov=False, maximize=False):
    """One SGD step on the array ``param`` in place (torch.optim.SGD's equations).

        g ← ±∇ + λ·θ                      (− when maximizing; λ = weight_decay)
        v ← g on the first step, then v ← μ·v + (1 − dampening)·g      (if μ = momentum > 0)
        g ← g + μ·v  (nesterov)   or   g ← v
        θ ← θ − η·g
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    lr, momentum, weight_decay = float(lr), float(momentum), float(weight_decay)
    if weight_decay:
        g = xp.multiply(param, weight_decay)
        if maximize:
            xp.subtract(g, grad, out=g)
        else:
            xp.add(g, grad, out=g)
    elif maximize:
        g = xp.negative(grad)
    else:
        g = grad  # the caller's array: read, never written

    if momentum:
        buf = state.get("momentum_buffer")
        if buf is None:
            # the first step starts the buffer at g itself, not at μ·0 + (1 − dampening)·g
            buf = state["momentum_buffer"] = xp.array(g, copy=True)
        else:
            buf *= momentum
            if dampening:
                buf += (1 - dampening) * g
            else:
                buf += g
        if nesterov:
            g = g + momentum * buf
        else:
            g = buf
    param -= lr * g


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum: θ ← θ − η·g.

    With ``momentum`` μ > 0 it keeps a velocity v ← μ·v + g and steps θ ← θ − η·v; with
    ``nesterov=True`` it steps θ ← θ − η·(g + μ·v), looking ahead along the velocity.
    ``weight_decay`` λ adds λ·θ to the gradient (L2 regularisation); ``maximize`` climbs.
    ``foreach=True`` updates each group in one batched call (``optim/foreach.py``); ``None``,
    the default, lets ``step()`` batch the small parameters (``optim/foreach.py``).
    """

    update = staticmethod(sgd_update)
    hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
    nonnegative = ("lr", "momentum", "weight_decay")

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening "
                             f"(got momentum={group['momentum']}, "
                             f"dampening={group['dampening']})")
