"""The 2-D convolution as one node: im2col, then one matrix product, like ``Linear``.

A convolution slides a small filter over the image; each output pixel is the weighted sum of
one patch. Copy every patch into a row of a matrix (im2col: "image to columns") and the whole
layer is a fully connected layer applied to every patch at once:

    cols  = im2col(x)                      (N·Ho·Wo, C·kh·kw)   one row per patch
    y     = cols · Wᵀ + b                  W reshaped to (out_channels, C·kh·kw)

So the backward pass is ``Linear``'s, plus putting the patch gradients back where the patches
came from (col2im, the reverse of im2col: overlapping patches add up):

    dL/dW    = Gᵀ · cols                   the correlation of x with G: a convolution
    dL/dcols = G · W,   dL/dx = col2im(dL/dcols)
                                           each input pixel collects G times every weight that
                                           touched it: G convolved with the flipped filter (a
                                           "transposed convolution")
    dL/db    = Σ of G over batch and pixels

The gradient of a convolution is a convolution too: the same sliding window, run backwards.
For stride 1 and padding p, dL/dx = conv2d(G padded by k − 1 − p, the filters flipped and with
in/out channels swapped), and dL/dW = conv2d(x with batch and channels swapped, G likewise);
tests/nn/test_conv.py checks both against this op's backward.

With ``groups`` the channels split into independent blocks, each its own small convolution
(one batched matrix product instead of one).
"""

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..errors import ShapeError


def pair(value, name, op):
    """An int or a pair of ints as (height, width); a clear error for anything else."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        h, w = value
    else:
        h = w = value
    for v in (h, w):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(h), int(w)


def output_size(size, kernel, stride, padding, dilation, ceil_mode=False):
    """How many window positions fit along one side (torch's formula)."""
    span = dilation * (kernel - 1) + 1
    room = size + 2 * padding - span
    if room < 0:
        return 0
    steps = -(-room // stride) if ceil_mode else room // stride
    out = steps + 1
    # ceil mode: the last window must start inside the input or its left padding
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def windows(padded, kernel, stride, dilation, out_hw):
    """A strided view (N, C, Ho, Wo, kh, kw) of the padded input: window (i, j) of the output
    pixel (r, c) is padded[..., r·sh + i·dh, c·sw + j·dw]. No copy."""
    n, c = padded.shape[:2]
    kh, kw = kernel
    sh, sw = stride
    dh, dw = dilation
    ho, wo = out_hw
    s = padded.strides
    shape = (n, c, ho, wo, kh, kw)
    strides = (s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw)
    xp = get_array_module(padded)
    if xp is np:
        return np.lib.stride_tricks.as_strided(padded, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(padded, shape, strides)  # CuPy: no writeable flag


def add_windows_back(gxp, gwin, stride, dilation, out_hw):
    """col2im: add the window gradients ``gwin`` (N, C, Ho, Wo, kh, kw) into ``gxp`` (the padded
    input's gradient) where each window came from. One strided slice per kernel position
    (kh·kw of them), so overlapping windows add up without a slow scatter."""
    kh, kw = gwin.shape[-2:]
    sh, sw = stride
    dh, dw = dilation
    ho, wo = out_hw
    for i in range(kh):
        for j in range(kw):
            gxp[:, :, i * dh: i * dh + sh * (ho - 1) + 1: sh,
                j * dw: j * dw + sw * (wo - 1) + 1: sw] += gwin[:, :, :, :, i, j]
    return gxp


def pad_images(x, ph, pw, value=0):
    if ph == 0 and pw == 0:
        return x
    xp = get_array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def unpad_images(gxp, ph, pw):
    h, w = gxp.shape[2:]
    return gxp[:, :, ph:h - ph, pw:w - pw]


class Conv2d(Function, elementwise=False, moves_elements=False, number_operands=False, infix=None):
    """y[n, o] = b[o] + Σ over channels c and kernel (i, j) of W[o, c, i, j]·x[n, c, ·+i, ·+j].

    x is (N, C, H, W), weight is (out_channels, C/groups, kh, kw); ``padding`` is a pair of
    ints (zeros added on both sides).

    The patches are laid out per image as columns, cols[n] of shape (C·kh·kw, Ho·Wo), so that
    W·cols[n] is already the output image in (channels, pixels) order: no transpose of the
    output, and the same holds for G in the backward (benchmarks/cnn_step.py).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        out_c, c_per_group, kh, kw = weight.shape
        n, c, h, w = x.shape
        ph, pw = padding
        ho = output_size(h, kh, stride[0], ph, dilation[0])
        wo = output_size(w, kw, stride[1], pw, dilation[1])
        if ho <= 0 or wo <= 0:
            raise ShapeError(
                f"conv2d: input of shape {tuple(x.shape)} (padded by {padding}) is smaller than "
                f"the kernel {(kh, kw)} with dilation {dilation}")
        padded = pad_images(x, ph, pw)
        g = groups
        # cols[n, g] of shape (C/g·kh·kw, Ho·Wo): each column is one patch of group g's channels
        win = windows(padded, (kh, kw), stride, dilation, (ho, wo))
        cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, g, c_per_group * kh * kw, ho * wo)
        w2 = weight.reshape(g, out_c // g, c_per_group * kh * kw)
        y = (w2 @ cols).reshape(n, out_c, ho, wo)                # W·cols, image by image
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(cols, weight)
        ctx.geometry = (padded.shape, stride, padding, dilation, groups, (ho, wo))
        return y

    @staticmethod
    def backward(ctx, gy):
        cols, weight = ctx.saved_tensors
        xp_shape, stride, padding, dilation, g, (ho, wo) = ctx.geometry
        out_c, c_per_group, kh, kw = weight.shape
        n = xp_shape[0]
        g2 = gy.reshape(n, g, out_c // g, ho * wo)       # G image by image, as y was made
        gx = gw = gb = None
        if ctx.needs_grad(1):
            # Σ over images of G·colsᵀ (colsᵀ is a view: BLAS reads it transposed, no copy)
            gw = (g2 @ cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
        if ctx.needs_grad(2):
            gb = gy.sum(axis=(0, 2, 3))
        if ctx.needs_grad(0):
            w2 = weight.reshape(g, out_c // g, c_per_group * kh * kw)
            gcols = w2.transpose(0, 2, 1) @ g2                              # Wᵀ·G per image
            gwin = gcols.reshape(n, g * c_per_group, kh, kw, ho, wo).transpose(0, 1, 4, 5, 2, 3)
            gxp = get_array_module(gy).zeros(xp_shape, dtype=gy.dtype)
            add_windows_back(gxp, gwin, stride, dilation, (ho, wo))
            gx = unpad_images(gxp, *padding)
        return gx, gw, gb, None, None, None, None
