"""Gradient utilities used in training loops."""

import math

import numpy as np

from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their global norm is at most ``max_norm``; returns the
    norm before clipping (as torch). Guards against exploding gradients.

    A NaN or infinite norm is passed on as torch does (the scale is NaN or 0, so the gradients
    become NaN or 0 and the next step shows it), or raised with ``error_if_nonfinite=True``.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]  # iterating one tensor would walk its rows, which have no grad
    norm_type = float(norm_type)  # torch also takes the string 'inf'
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or inf), got {norm_type}")
    grads = [p.grad.data for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float((np.abs(g) ** norm_type).sum()) for g in grads)) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {total}, so they cannot be clipped; set "
                           "error_if_nonfinite=False to scale them anyway")
    scale = max_norm / (total + 1e-6)
    if scale < 1 or math.isnan(scale):
        with np.errstate(invalid="ignore"):  # inf · 0 is NaN, as in torch: expected here
            for g in grads:
                g *= scale
    return total
