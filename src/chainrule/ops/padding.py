"""Padding: grow an array at its borders. The gradient of padding is cropping: the added cells
came from no input (constant mode) or from a border cell they copy (reflect, replicate,
circular), and a copied cell's gradient goes back to the cell it copied.

    constant:   y = x with ``value`` around it          dL/dx = G with the border cut off
    by index:   y = x[idx] along each padded axis       dL/dx[i] = Σ of G where idx = i
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..errors import ShapeError

NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_widths(shape, pad, mode):
    """torch's ``pad`` tuple (last dim first, before/after pairs) as NumPy's per-axis widths."""
    if mode not in ("constant",) + tuple(NUMPY_MODES):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise ShapeError(f"pad: the pad tuple {pad} needs an even length of at most "
                         f"2·ndim = {2 * len(shape)} for an input of shape {tuple(shape)}")
    if min(pad, default=0) < 0:
        raise ValueError(f"pad: negative pads (cropping) are not supported, got {pad}")
    widths = [(0, 0)] * len(shape)
    for k in range(len(pad) // 2):
        axis = len(shape) - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        n = shape[axis]
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"pad: reflect padding of {(before, after)} needs fewer than the "
                             f"{n} elements of dim {axis} (input shape {tuple(shape)})")
        if mode in ("replicate", "circular") and n == 0 or mode == "circular" and max(
                before, after) > n:
            raise ValueError(f"pad: {mode} padding of {(before, after)} is too large for dim "
                             f"{axis} of size {n} (input shape {tuple(shape)})")
        widths[axis] = (before, after)
    return tuple(widths)


class PadConstant(Function, elementwise=True, moves_elements=True, number_operands=False,
                  infix=None):
    """y = x surrounded by ``value``;  dL/dx = G cropped back to x's place."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.crop = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
        return get_array_module(x).pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.crop], None, None


class PadByIndex(Function, elementwise=False, moves_elements=False, number_operands=False,
                 infix=None):
    """Reflect / replicate / circular padding: along each padded axis, y = x[idx] with idx the
    padded positions (np.pad of 0..n−1 in the same mode); dL/dx adds G back at idx."""

    @staticmethod
    def forward(ctx, x, widths, mode):
        xp = get_array_module(x)
        indices = []
        y = x
        for axis, (before, after) in enumerate(widths):
            if before or after:
                # the positions are a few integers worked out on the host, then sent along
                idx = np.pad(np.arange(x.shape[axis]), (before, after), mode=NUMPY_MODES[mode])
                idx = idx if xp is np else xp.asarray(idx)
                y = xp.take(y, idx, axis=axis)
                indices.append((axis, idx))
        ctx.indices = indices
        ctx.shape = x.shape
        return y

    @staticmethod
    def backward(ctx, g):
        for axis, idx in reversed(ctx.indices):
            shape = list(g.shape)
            shape[axis] = ctx.shape[axis]
            xp = get_array_module(g)
            back = xp.zeros(shape, dtype=g.dtype)
            xp.add.at(back, (slice(None),) * axis + (idx,), g)
            g = back
        return g, None, None
