"""Losses that grow only linearly with large errors, so one outlier cannot dominate the
gradient (with d = y − t, elementwise, then reduced as in ``ops/loss.py``):

=============  =========================================  ====================================
name           L(d)                                       dL/dy
=============  =========================================  ====================================
l1             |d|                                        sign(d)   (0 at d = 0, as torch)
smooth_l1      ½d²/β where |d| < β, else |d| − ½β         d/β, else sign(d)
huber          ½d² where |d| < δ, else δ(|d| − ½δ)         d, else δ·sign(d)
=============  =========================================  ====================================

Huber is smooth L1 scaled by δ (huber_δ = δ·smooth_l1_β=δ); both are the squared error near
zero, so the gradient shrinks as the fit gets close, unlike L1's constant ±1.
"""

from ..autograd.function import Function
from ..backend import get_array_module
from .loss import _reduce, _spread, check_same_shape

_xp = get_array_module


class L1(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """L = |y − t|;  dL/dy = sign(y − t)."""

    @staticmethod
    def forward(ctx, y, t, reduction):
        check_same_shape("l1_loss", y, t)
        d = y - t
        ctx.save_for_backward(d)
        return _reduce(_xp(d).abs(d), reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        gy = _spread(g, ctx) * _xp(d).sign(d)
        return gy, (-gy if ctx.needs_grad(1) else None), None


class SmoothL1(Function, elementwise=False, moves_elements=False, number_operands=False,
               infix=None):
    """Squared near zero (|d| < β), absolute beyond; β = 0 is plain L1."""

    @staticmethod
    def forward(ctx, y, t, reduction, beta):
        check_same_shape("smooth_l1_loss", y, t)
        d = y - t
        a = _xp(d).abs(d)
        near = a < beta
        ctx.save_for_backward(d, near)
        ctx.beta = beta
        if beta == 0:
            return _reduce(a, reduction, ctx)
        return _reduce(_xp(d).where(near, 0.5 * d * d / beta, a - 0.5 * beta), reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        d, near = ctx.saved_tensors
        xp = _xp(d)
        local = xp.sign(d) if ctx.beta == 0 else xp.where(near, d / ctx.beta, xp.sign(d))
        gy = _spread(g, ctx) * local
        return gy, (-gy if ctx.needs_grad(1) else None), None, None


class Huber(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """Squared near zero (|d| < δ), δ-sloped absolute beyond."""

    @staticmethod
    def forward(ctx, y, t, reduction, delta):
        check_same_shape("huber_loss", y, t)
        d = y - t
        a = _xp(d).abs(d)
        near = a < delta
        ctx.save_for_backward(d, near)
        ctx.delta = delta
        return _reduce(_xp(d).where(near, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction, ctx)

    @staticmethod
    def backward(ctx, g):
        d, near = ctx.saved_tensors
        gy = _spread(g, ctx) * _xp(d).where(near, d, ctx.delta * _xp(d).sign(d))
        return gy, (-gy if ctx.needs_grad(1) else None), None, None
