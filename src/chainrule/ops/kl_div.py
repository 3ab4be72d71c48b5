"""The Kullback-Leibler divergence KL(p ‖ q) = Σ p·(log p − log q): how many extra nats it
costs to code samples of p with a code built for q. As in torch, the input is log q (e.g. a
``log_softmax``) and the target p, given as probabilities or (``log_target``) as log p.

    probabilities:  L = p·(log p − x)   (0 where p = 0)   dL/dx = −p      dL/dp = log p + 1 − x
    log target:     L = eᵗ·(t − x)                        dL/dx = −eᵗ     dL/dt = eᵗ·(t − x + 1)

``reduction='batchmean'`` divides the sum by the batch size (the true KL per sample); 'mean'
divides by the number of elements, as torch does (and warns about).
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from .loss import _reduce, _spread, check_same_shape


class KLDiv(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    @staticmethod
    def forward(ctx, x, t, reduction, log_target):
        check_same_shape("kl_div", x, t)
        ctx.log_target = log_target
        xp = get_array_module(x)
        if log_target:
            p = xp.exp(t)
            loss = p * (t - x)
        else:
            p = t
            with np.errstate(divide="ignore", invalid="ignore"):
                loss = xp.where(t == 0, 0.0, t * xp.log(xp.where(t == 0, 1.0, t))) - t * x
        ctx.save_for_backward(x, t, p)
        if reduction == "batchmean":
            ctx.batch = x.shape[0] if x.ndim else 1
            return _reduce(loss, "sum", ctx) / ctx.batch
        ctx.batch = 1
        return _reduce(loss, reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        x, t, p = ctx.saved_tensors
        g = _spread(g, ctx) / ctx.batch
        gx = -g * p if ctx.needs_grad(0) else None
        gt = None
        if ctx.needs_grad(1):
            if ctx.log_target:
                gt = g * p * (t - x + 1)
            else:
                with np.errstate(divide="ignore"):
                    gt = g * (get_array_module(t).log(t) + 1 - x)
        return gx, gt, None, None
