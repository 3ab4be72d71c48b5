"""Momentum and Nesterov momentum: SGD that keeps a velocity, v ← μ·v + g, θ ← θ − η·v.

They are ``SGD`` with ``momentum=0.9`` (and ``nesterov=True``) as defaults, named as the notes
name them; the update is ``sgd_update``.
"""

from .sgd import SGD


class Momentum(SGD):
    """SGD with momentum (μ = 0.9 by default).

        v ← μ·v + g        (v starts at the first gradient)
        θ ← θ − η·v

    A ball rolling downhill: consistent gradients build up speed, oscillating ones cancel.
    Same as ``SGD(params, lr, momentum=0.9)``.
    """

    def __init__(self, params, lr=0.01, momentum=0.9, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                         foreach=foreach)


class Nesterov(SGD):
    """SGD with Nesterov momentum (μ = 0.9 by default).

        v ← μ·v + g
        θ ← θ − η·(g + μ·v)

    The step looks ahead along the velocity, which damps overshooting. This is torch's
    rewriting of Nesterov's update in terms of the current gradient only.
    Same as ``SGD(params, lr, momentum=0.9, nesterov=True)``.
    """

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0, *, maximize=False,
                 foreach=None):
        super().__init__(params, lr=lr, momentum=momentum, dampening=0,
                         weight_decay=weight_decay, nesterov=True, maximize=maximize,
                         foreach=foreach)
