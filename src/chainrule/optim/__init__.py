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
    >>> w.array
    array([ 0.8, -1.6])
"""

from ..errors import module_getattr
from . import lr_scheduler
from .adadelta import Adadelta, adadelta_update
from .adagrad import Adagrad, adagrad_update
from .adam import Adam, AdamW, adam_update
from .adamax import Adamax, adamax_update
from .momentum import Momentum, Nesterov
from .nadam import NAdam, nadam_update
from .optimizer import Optimizer
from .radam import RAdam, radam_update
from .rmsprop import RMSprop, rmsprop_update
from .rprop import Rprop, rprop_update
from .sgd import SGD, sgd_update

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Momentum", "NAdam", "Nesterov",
    "Optimizer", "RAdam", "RMSprop", "Rprop", "adadelta_update", "adagrad_update", "adam_update",
    "adamax_update", "lr_scheduler", "nadam_update", "radam_update", "rmsprop_update",
    "rprop_update", "sgd_update",
]

__getattr__ = module_getattr("chainrule.optim")  # a torch name not here: one line saying so
