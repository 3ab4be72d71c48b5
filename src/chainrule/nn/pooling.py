"""Pooling layers: shrink each channel by keeping the largest value (``MaxPool2d``) or the mean
(``AvgPool2d``) of each window. The math is in ``ops/pooling.py``."""

from ..ops.conv import pair
from . import functional as F
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        op = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", op)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", op)
        self.padding = pair(padding, "padding", op)
        self.ceil_mode = bool(ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")


class MaxPool2d(_Pool2d):
    """The largest value of each window; stride defaults to the window (no overlap)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = pair(dilation, "dilation", "MaxPool2d")
        self.return_indices = return_indices
        if return_indices:
            raise NotImplementedError("MaxPool2d: return_indices=True is not supported by "
                                      "chainrule")

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode)

    def config(self):
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": list(self.padding), "dilation": list(self.dilation),
                "ceil_mode": self.ceil_mode}


class AvgPool2d(_Pool2d):
    """The mean of each window; stride defaults to the window (no overlap)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def config(self):
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": list(self.padding), "ceil_mode": self.ceil_mode,
                "count_include_pad": self.count_include_pad,
                "divisor_override": self.divisor_override}
