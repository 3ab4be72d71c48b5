"""2-D pooling as one node each: a window slides over every channel, as in a convolution, but
instead of a weighted sum it takes the largest value (max pooling) or the mean (average pooling).

The windows come from the same strided view as ``Conv2d``'s im2col (no copy), and the backward
is the same col2im: each window's gradient goes back to the pixels it covered.

    max:      y = max over the window            dL/dx = G at the pixel that won, 0 elsewhere
    average:  y = Σ window / count              dL/dx = G / count at every pixel of the window

At a tie the first maximum (in reading order) gets the gradient, as torch on the CPU.
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..errors import ShapeError
from .conv import add_windows_back, output_size, windows


def _geometry(op, x, kernel, stride, padding, dilation, ceil_mode):
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected an input of shape (N, C, H, W), got {tuple(x.shape)}")
    (kh, kw), (ph, pw) = kernel, padding
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel}")
    ho = output_size(x.shape[2], kh, stride[0], ph, dilation[0], ceil_mode)
    wo = output_size(x.shape[3], kw, stride[1], pw, dilation[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise ShapeError(f"{op}: input of shape {tuple(x.shape)} is smaller than the window "
                         f"{kernel} (padding {padding}, dilation {dilation})")
    return ho, wo


def _pad_for(x, padding, out_hw, kernel, stride, dilation, value):
    """Pad by ``padding`` on both sides, and on the bottom/right as far as ceil mode's last
    windows reach."""
    (ph, pw), (ho, wo) = padding, out_hw
    need_h = (ho - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
    need_w = (wo - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1
    extra_h = max(0, need_h - (x.shape[2] + 2 * ph))
    extra_w = max(0, need_w - (x.shape[3] + 2 * pw))
    xp = get_array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)),
                  constant_values=value), (extra_h, extra_w)


def _crop(gxp, padding, extra):
    (ph, pw), (eh, ew) = padding, extra
    h, w = gxp.shape[2:]
    return gxp[:, :, ph:h - ph - eh, pw:w - pw - ew]


class MaxPool2d(Function, elementwise=False, moves_elements=False, number_operands=False,
                infix=None):
    """y = max of each window; the gradient goes to the pixel that won."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        out_hw = _geometry("max_pool2d", x, kernel, stride, padding, dilation, ceil_mode)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded, extra = _pad_for(x, padding, out_hw, kernel, stride, dilation, low)
        win = windows(padded, kernel, stride, dilation, out_hw)
        n, c, ho, wo, kh, kw = win.shape
        flat = win.reshape(n, c, ho, wo, kh * kw)
        winner = flat.argmax(axis=-1)                 # first maximum on a tie, as torch
        y = get_array_module(x).take_along_axis(flat, winner[..., None], axis=-1)[..., 0]
        ctx.save_for_backward(winner)
        ctx.geometry = (padded.shape, kernel, stride, padding, dilation, out_hw, extra)
        return y

    @staticmethod
    def backward(ctx, g):
        (winner,) = ctx.saved_tensors
        xp_shape, (kh, kw), stride, padding, dilation, out_hw, extra = ctx.geometry
        xp = get_array_module(g)
        gwin = xp.zeros(g.shape + (kh * kw,), dtype=g.dtype)
        xp.put_along_axis(gwin, winner[..., None], g[..., None], axis=-1)
        gxp = xp.zeros(xp_shape, dtype=g.dtype)
        add_windows_back(gxp, gwin.reshape(g.shape + (kh, kw)), stride, dilation, out_hw)
        return _crop(gxp, padding, extra), None, None, None, None, None


class AvgPool2d(Function, elementwise=False, moves_elements=False, number_operands=False,
                infix=None):
    """y = the mean of each window. With ``count_include_pad`` the padded zeros count in the
    mean (torch's default); without it only real pixels do. Ceil mode's extra windows never
    count pixels past the padding."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
        out_hw = _geometry("avg_pool2d", x, kernel, stride, padding, (1, 1), ceil_mode)
        padded, extra = _pad_for(x, padding, out_hw, kernel, stride, (1, 1), 0)
        win = windows(padded, kernel, stride, (1, 1), out_hw)
        xp = get_array_module(x)
        if divisor is not None:
            count = float(divisor)
        else:
            # how many pixels of each window count: real ones, plus padding if asked, never the
            # ceil-mode overhang
            ones = xp.ones((1, 1) + x.shape[2:], dtype=x.dtype)
            ph, pw = padding
            inside = xp.pad(ones, ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                            constant_values=1 if count_include_pad else 0)
            inside = xp.pad(inside, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
            count = windows(inside, kernel, stride, (1, 1), out_hw).sum(axis=(-2, -1))
        y = win.sum(axis=(-2, -1)) / count
        ctx.count = count
        ctx.geometry = (padded.shape, kernel, stride, padding, out_hw, extra)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xp_shape, (kh, kw), stride, padding, out_hw, extra = ctx.geometry
        share = (g / ctx.count).astype(g.dtype, copy=False)
        xp = get_array_module(g)
        gwin = xp.broadcast_to(share[..., None, None], g.shape + (kh, kw))
        gxp = xp.zeros(xp_shape, dtype=g.dtype)
        add_windows_back(gxp, gwin, stride, (1, 1), out_hw)
        return _crop(gxp, padding, extra), None, None, None, None, None, None
