"""Loss functions: one number that says how wrong the network is.

The notes pair each output activation with its loss, and each pair has a simple gradient:

- identity + squared error:  L = ½Σ(y − t)²          dL/dy = y − t
- softmax + cross-entropy:   L = −Σ t·log softmax(z)  dL/dz = softmax(z) − t
- sigmoid + binary CE:       L = −t·log σ(z) − (1 − t)·log(1 − σ(z))   dL/dz = σ(z) − t

The fused versions (``CrossEntropy``, ``BCEWithLogits``) take the *logits* z and never form
log(0): they stay finite for logits of any size.

``reduction`` follows torch: 'mean' (average over elements / samples), 'sum' or 'none'.
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module, on_host
from ..errors import ShapeError
from .activation import log_softmax_array
from .reduction import divide_by_count, mean_array

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def check_probabilities(op, p):
    """BCE's input must be probabilities. Checked before the node runs: a ValueError raised
    inside ``forward`` would be reported as a shape problem."""
    if not on_host(p):
        return  # the check would wait for the GPU: torch, too, checks there only on the device
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"{op}: input must hold probabilities in [0, 1] "
            f"(got values from {float(p.min()):g} to {float(p.max()):g}); "
            "pass logits to binary_cross_entropy_with_logits instead"
        )


def check_same_shape(op, y, t):
    if y.shape != t.shape:
        raise ShapeError(
            f"{op}: input of shape {tuple(y.shape)} and target of shape {tuple(t.shape)} "
            "must have the same shape (reshape one; broadcasting here is almost always a bug)"
        )


def _reduce(loss, reduction, ctx):
    ctx.reduction = reduction
    ctx.count = loss.size
    if reduction == "mean":
        return mean_array(loss)
    if reduction == "sum":
        return loss.sum()
    return loss


def _spread(g, ctx):
    """dL/d(elementwise loss) for each reduction: g/n, g, or g itself."""
    if ctx.reduction == "mean":
        return divide_by_count(g, ctx.count)
    return g



class SSE(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """The notes' sum of squares for error: L = ½·Σ(y − t)²;  dL/dy = y − t."""

    @staticmethod
    def forward(ctx, y, t):
        check_same_shape("sse", y, t)
        diff = y - t
        ctx.save_for_backward(diff)
        return 0.5 * (diff * diff).sum()

    @staticmethod
    def backward(ctx, g):
        (diff,) = ctx.saved_tensors
        gy = g * diff
        return gy, (-gy if ctx.needs_grad(1) else None)


class MSE(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """L = mean((y − t)²);  dL/dy = 2(y − t)/n."""

    @staticmethod
    def forward(ctx, y, t, reduction="mean"):
        check_same_shape("mse_loss", y, t)
        with np.errstate(over="ignore", invalid="ignore"):  # inf, NaN as torch
            diff = y - t
            ctx.save_for_backward(diff)
            return _reduce(diff * diff, reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        (diff,) = ctx.saved_tensors
        gy = _spread(g, ctx) * 2 * diff
        return gy, (-gy if ctx.needs_grad(1) else None), None


def _class_axis_last(x):
    """(N, C, d1, …) → (N·d1·…, C) so one code path serves images and sequences."""
    if x.ndim <= 2:
        return x
    return x.reshape(x.shape[0], x.shape[1], -1).transpose(0, 2, 1).reshape(-1, x.shape[1])


def _class_axis_back(x, shape):
    if len(shape) <= 2:
        return x.reshape(shape)
    n, c = shape[0], shape[1]
    return x.reshape(n, -1, c).transpose(0, 2, 1).reshape(shape)


def check_class_indices(op, logits_shape, target):
    """Targets for (N, C) scores must be integers of shape (N,) in 0..C−1."""
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be integers, got dtype {target.dtype} "
            "(pass class probabilities with the same shape as the input instead)"
        )
    expected = (logits_shape[0],) + tuple(logits_shape[2:]) if len(logits_shape) > 1 else ()
    if target.shape != expected:
        raise ShapeError(
            f"{op}: input of shape {tuple(logits_shape)} needs class indices of shape "
            f"{expected}, got target of shape {tuple(target.shape)}"
        )
    n_classes = logits_shape[1] if len(logits_shape) > 1 else logits_shape[0]
    if not on_host(target):
        return  # reading the classes back would wait for the GPU at every step (see on_host)
    if target.size and (target.min() < 0 or target.max() >= n_classes):
        bad = int(target.max()) if target.max() >= n_classes else int(target.min())
        raise IndexError(
            f"{op}: target holds class {bad} "
            f"but the input has {n_classes} classes (0..{n_classes - 1})"
        )


class CrossEntropy(Function, elementwise=False, moves_elements=False, number_operands=False,
                   infix=None):
    """Softmax and cross-entropy as one node, on logits z.

    With class indices c:        L = −log softmax(z)[c]    dL/dz = softmax(z) − onehot(c)
    With class probabilities t:  L = −Σ t·log softmax(z)   dL/dz = softmax(z)·Σt − t
    """

    @staticmethod
    def forward(ctx, z, target, reduction="mean"):
        xp = get_array_module(z)
        if z.ndim == 0:
            raise ShapeError("cross_entropy: input must have a class axis, got a scalar")
        class_axis = 0 if z.ndim == 1 else 1
        ctx.shape = z.shape
        logp = log_softmax_array(z, class_axis)
        probs_target = target.dtype.kind == "f"
        ctx.probs_target = probs_target
        if probs_target:
            check_same_shape("cross_entropy", z, target)
            loss = -(target * logp).sum(axis=class_axis)
            ctx.save_for_backward(logp, target)
            ctx.count = loss.size
        else:
            check_class_indices("cross_entropy", z.shape, target)
            flat = _class_axis_last(logp) if z.ndim > 1 else logp[None, :]
            idx = target.reshape(-1)
            loss = -flat[xp.arange(idx.size), idx].reshape(target.shape)
            ctx.save_for_backward(logp, target)
        return _reduce(loss, reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        logp, target = ctx.saved_tensors
        xp = get_array_module(logp)
        class_axis = 0 if logp.ndim == 1 else 1
        g = _spread(g, ctx)
        if ctx.reduction == "none" and g.ndim:
            g = xp.expand_dims(g, class_axis)
        p = xp.exp(logp)
        if ctx.probs_target:
            gz = g * (p * target.sum(axis=class_axis, keepdims=True) - target)
            gt = -g * logp if ctx.needs_grad(1) else None
            return gz, gt, None
        flat = _class_axis_last(p) if p.ndim > 1 else p[None, :]
        idx = target.reshape(-1)
        flat[xp.arange(idx.size), idx] -= 1
        gz = _class_axis_back(flat, ctx.shape) if p.ndim > 1 else flat[0]
        return g * gz, None, None


class NLLLoss(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """Negative log-likelihood on log-probabilities: L = −logp[c];  dL/dlogp = −onehot(c)."""

    @staticmethod
    def forward(ctx, logp, target, reduction="mean"):
        xp = get_array_module(logp)
        if logp.ndim == 0:
            raise ShapeError("nll_loss: input must have a class axis, got a scalar")
        check_class_indices("nll_loss", logp.shape, target)
        flat = _class_axis_last(logp) if logp.ndim > 1 else logp[None, :]
        idx = target.reshape(-1)
        ctx.shape = logp.shape
        ctx.dtype = logp.dtype
        ctx.save_for_backward(target)
        return _reduce(-flat[xp.arange(idx.size), idx].reshape(target.shape), reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        (target,) = ctx.saved_tensors
        xp = get_array_module(target)
        g = _spread(g, ctx)
        shape = ctx.shape
        n_classes = shape[1] if len(shape) > 1 else shape[0]
        flat = xp.zeros((target.size, n_classes), dtype=ctx.dtype)
        flat[xp.arange(target.size), target.reshape(-1)] = -1
        if ctx.reduction == "none":
            flat *= g.reshape(-1, 1)
        else:
            flat *= g
        return (_class_axis_back(flat, shape) if len(shape) > 1 else flat[0]), None, None


class BCE(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """Binary cross-entropy on probabilities p: L = −t·log p − (1 − t)·log(1 − p).

    As in torch each log is clamped at −100, so p = 0 or 1 gives a large finite loss, not inf.
    dL/dp = (p − t) / (p(1 − p)), with p(1 − p) kept ≥ 1e-12 so the gradient stays finite.
    """

    @staticmethod
    def forward(ctx, p, t, reduction="mean"):
        xp = get_array_module(p)
        check_same_shape("binary_cross_entropy", p, t)
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_1mp = xp.maximum(xp.log1p(-p), -100)
        ctx.save_for_backward(p, t, log_p, log_1mp)
        return _reduce(-(t * log_p + (1 - t) * log_1mp), reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        p, t, log_p, log_1mp = ctx.saved_tensors
        xp = get_array_module(p)
        g = _spread(g, ctx)
        gp = g * (p - t) / xp.maximum(p * (1 - p), 1e-12)
        gt = g * (log_1mp - log_p) if ctx.needs_grad(1) else None
        return gp, gt, None


class BCEWithLogits(Function, elementwise=False, moves_elements=False, number_operands=False,
                    infix=None):
    """Sigmoid and binary cross-entropy as one node, on logits z.

    L = max(z, 0) − z·t + log(1 + e^−|z|)  (the same value, with no overflow for any z)
    dL/dz = σ(z) − t
    """

    @staticmethod
    def forward(ctx, z, t, reduction="mean", pos_weight=None):
        xp = get_array_module(z)
        check_same_shape("binary_cross_entropy_with_logits", z, t)
        e = xp.exp(-xp.abs(z))  # in (0, 1]: never overflows
        softplus_neg = xp.log1p(e)  # log(1 + e^−|z|)
        if pos_weight is None:
            loss = xp.maximum(z, 0) - z * t + softplus_neg
        else:
            # −[w·t·log σ(z) + (1 − t)·log(1 − σ(z))], with log σ(z) = −(max(−z, 0) + softplus_neg)
            log_sig = -(xp.maximum(-z, 0) + softplus_neg)
            log_one_minus = log_sig - z
            loss = -(pos_weight * t * log_sig + (1 - t) * log_one_minus)
        ctx.save_for_backward(z, t, e)
        ctx.pos_weight = pos_weight
        return _reduce(loss, reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        z, t, e = ctx.saved_tensors
        g = _spread(g, ctx)
        s = get_array_module(z).where(z >= 0, 1, e) / (1 + e)  # σ(z) from the saved e^−|z|
        w = ctx.pos_weight
        if w is None:
            gz = g * (s - t)
            gt = -g * z if ctx.needs_grad(1) else None
        else:
            gz = g * ((w * t + 1 - t) * s - w * t)
            gt = None
            if ctx.needs_grad(1):
                xp = get_array_module(z)
                log_sig = -(xp.maximum(-z, 0) + xp.log1p(xp.exp(-xp.abs(z))))
                gt = -g * (w * log_sig - (log_sig - z))
        return gz, gt, None, None
