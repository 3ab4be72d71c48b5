"""The negative log-likelihood with torch's options: a weight per class and a class index to
ignore (padding, unlabelled pixels).

    L_i = −w[c_i]·logp[i, c_i]   (0 where c_i = ignore_index)
    mean = Σ L_i / Σ w[c_i]      over the samples not ignored (a weighted average, as torch)

    dL/dlogp[i, c_i] = −w[c_i]·(upstream share of sample i), 0 for every other class
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module, on_host
from ..errors import ShapeError
from .loss import _class_axis_back, _class_axis_last


class WeightedNLL(Function, elementwise=False, moves_elements=False, number_operands=False,
                  infix=None):
    """logp is (N, C, …) or (C,); target the class of each sample; weight (C,) or None."""

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        flat = _class_axis_last(logp) if logp.ndim > 1 else logp[None, :]
        idx = target.reshape(-1)
        kept = idx != ignore_index
        xp = get_array_module(logp)
        safe = xp.where(kept, idx, 0)
        w = (weight[safe] if weight is not None else xp.ones(idx.size, logp.dtype)) * kept
        w = w.astype(logp.dtype, copy=False)
        picked = flat[xp.arange(idx.size), safe]
        loss = -w * picked
        ctx.save_for_backward(target, w)
        ctx.shape = logp.shape
        ctx.reduction = reduction
        if reduction == "none":
            return loss.reshape(target.shape)
        if reduction == "sum":
            return loss.sum()
        ctx.total = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: 0/0 = NaN, as torch
            return xp.asarray(loss.sum() / ctx.total)

    @staticmethod
    def backward(ctx, g):
        target, w = ctx.saved_tensors
        xp = get_array_module(g)
        shape = ctx.shape
        n_classes = shape[1] if len(shape) > 1 else shape[0]
        if ctx.reduction == "none":
            share = g.reshape(-1)
        elif ctx.reduction == "sum":
            share = xp.broadcast_to(g, w.shape)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                share = xp.broadcast_to(g / ctx.total, w.shape)
        idx = xp.where(w != 0, target.reshape(-1), 0)
        flat = xp.zeros((w.size, n_classes), dtype=g.dtype)
        flat[xp.arange(w.size), idx] = -w * share
        return (_class_axis_back(flat, shape) if len(shape) > 1 else flat[0]), None, None, None, \
            None


def check_targets(op, logits_shape, target, ignore_index):
    """Integer classes of the right shape, each in 0..C−1 or equal to ``ignore_index``."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got dtype {target.dtype}")
    expected = (logits_shape[0],) + tuple(logits_shape[2:]) if len(logits_shape) > 1 else ()
    if target.shape != expected:
        raise ShapeError(f"{op}: input of shape {tuple(logits_shape)} needs class indices of "
                         f"shape {expected}, got target of shape {tuple(target.shape)}")
    n_classes = logits_shape[1] if len(logits_shape) > 1 else logits_shape[0]
    if not on_host(target):
        return  # reading the classes back would wait for the GPU at every step (see on_host)
    real = target[target != ignore_index]
    if real.size and (real.min() < 0 or real.max() >= n_classes):
        bad = int(real.max()) if real.max() >= n_classes else int(real.min())
        raise IndexError(f"{op}: target holds class {bad} but the input has {n_classes} classes "
                         f"(0..{n_classes - 1}; ignore_index={ignore_index})")
