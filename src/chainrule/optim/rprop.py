"""Rprop: each weight steps by its own step size, grown while the gradient keeps its sign and
shrunk when it flips; only the gradient's sign is used, never its size.
"""

from ..backend import get_array_module
from .optimizer import Optimizer


def rprop_update(param, grad, state, *, lr, etaminus=0.5, etaplus=1.2, step_size_min=1e-6,
                 step_size_max=50.0, maximize=False):
    """One Rprop step on the array ``param`` in place (torch.optim.Rprop's equations).

        s = sign(g·g_prev):   Δ ← clip(Δ·η₊ where s > 0, Δ·η₋ where s < 0, Δ where s = 0)
        g ← 0 where the sign flipped (and that weight does not move this step)
        θ ← θ − sign(g)·Δ;   g_prev ← g

    Δ starts at the learning rate.
    """
    xp = get_array_module(param)  # NumPy, or CuPy on a GPU
    etaminus, etaplus = float(etaminus), float(etaplus)
    if not state:
        state["step"] = 0
        state["prev"] = xp.zeros_like(param)
        state["step_size"] = xp.full_like(param, float(lr))
    state["step"] += 1

    g = xp.negative(grad) if maximize else grad
    prev, step_size = state["prev"], state["step_size"]
    factor = xp.sign(g * prev)
    factor = xp.where(factor > 0, etaplus, xp.where(factor < 0, etaminus, 1.0))
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    g = xp.where(factor == etaminus, 0.0, g).astype(param.dtype, copy=False)
    param -= xp.sign(g) * step_size
    prev[...] = g


class Rprop(Optimizer):
    """Rprop (resilient backpropagation, Riedmiller & Braun 1993).

        Δ ← min(Δ·η₊, Δmax)  if g·g_prev > 0     same sign: a longer step
        Δ ← max(Δ·η₋, Δmin)  if g·g_prev < 0     overshot: a shorter one, and no move now
        θ ← θ − sign(g)·Δ

    ``etas`` = (η₋, η₊), ``step_sizes`` = (Δmin, Δmax); Δ starts at ``lr``. Meant for full-batch
    training: mini-batch noise flips the sign too often. ``foreach=True`` batches each group.
    """

    update = staticmethod(rprop_update)
    hyperparameters = ("lr", "etas", "step_sizes", "maximize")
    nonnegative = ("lr",)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, foreach=None,
                 maximize=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def update_options(self, group):
        options = super().update_options(group)
        options["etaminus"], options["etaplus"] = options.pop("etas")
        options["step_size_min"], options["step_size_max"] = options.pop("step_sizes")
        return options

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for key in ("etas", "step_sizes"):
            if not isinstance(group[key], (tuple, list)) or len(group[key]) != 2:
                raise ValueError(f"Rprop: {key} must be a pair, got {group[key]!r}")
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid etas: {group['etas']} (need 0 < etaminus < 1 < etaplus)")
        low, high = group["step_sizes"]
        if not 0.0 <= low <= high:
            raise ValueError(f"Invalid step_sizes: {group['step_sizes']} "
                             "(need 0 <= min <= max)")
