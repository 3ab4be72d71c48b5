"""``chainrule.optim``: optimizers that update parameters from their gradients, and schedules
for their learning rates (``chainrule.optim.lr_scheduler``), with torch.optim's names, defaults
and equations.

    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> w = cr.nn.Parameter(np.array([1.0, -2.0]))
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()          # ∂(w·w)/∂w = 2w
    >>> opt.step()                        # w ← w − 0.1·2w
    >>> w.data
    array([ 0.8, -1.6])
"""

from . import lr_scheduler
from .adagrad import Adagrad, adagrad_update
from .adam import Adam, AdamW, adam_update
from .momentum import Momentum, Nesterov
from .optimizer import Optimizer
from .rmsprop import RMSprop, rmsprop_update
from .sgd import SGD, sgd_update

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Momentum", "Nesterov", "Optimizer", "RMSprop",
    "adagrad_update", "adam_update", "lr_scheduler", "rmsprop_update", "sgd_update",
]
