"""Gradient and parameter utilities used in training loops: clipping, and all parameters as
one vector (for second-order methods and evolution strategies)."""

import math

import numpy as np

from ..backend import get_array_module, on_host
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
    grads = [p.grad.array for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    if not on_host(grads[0]):
        return _clip_on_device(grads, float(max_norm), norm_type, error_if_nonfinite)
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


def _clip_on_device(grads, max_norm, norm_type, error_if_nonfinite):
    """clip_grad_norm_ without reading the norm back (which would wait for the GPU): the scale
    min(1, max_norm / norm) is computed there and every gradient multiplied by it, as torch
    does on a GPU. Returns the norm as a 0-d tensor on the device, as torch."""
    xp = get_array_module(grads[0])
    if norm_type == math.inf:
        total = xp.stack([xp.abs(g).max() for g in grads]).max()
    else:
        total = xp.stack([(xp.abs(g) ** norm_type).sum() for g in grads]).sum() ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):  # asked for: worth the wait
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {float(total)}, so they cannot be clipped; set "
                           "error_if_nonfinite=False to scale them anyway")
    scale = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= scale.astype(g.dtype)
    return Tensor(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [−clip_value, clip_value], in place (as torch)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for p in parameters:
        if p.grad is not None:
            g = p.grad.array
            get_array_module(g).clip(g, -clip_value, clip_value, out=g)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one vector (differentiable, as torch's)."""
    from ..functional import cat

    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: no parameters given")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters, in order (the inverse of
    ``parameters_to_vector``). The parameters keep their own arrays, so an optimizer that
    holds them still sees the new values."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    data = vec.array if isinstance(vec, Tensor) else np.asarray(vec)
    if data.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {data.shape}")
    total = sum(p.array.size for p in parameters)
    if data.size != total:
        raise ValueError(f"vector_to_parameters: vec has {data.size} elements but the "
                         f"parameters hold {total}")
    start = 0
    for p in parameters:
        n = p.array.size
        p.array[...] = data[start:start + n].reshape(p.array.shape)
        start += n
