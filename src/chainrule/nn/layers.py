"""Layers with weights or shape logic: Linear, Flatten, Dropout, Dropout2d, Identity."""

import numbers

import numpy as np

from .. import functional as _tf
from ..dtypes import default_float
from ..ops.linear import Linear as _LinearOp
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """A fully connected layer: every output neuron j computes Σᵢ W[j, i]·xᵢ + b[j].

    ``weight`` has shape (out_features, in_features): W[j, i] is the weight *to* neuron j *from*
    input i (the notes' θ21 is ``weight[1, 0]`` with 0-based indices). Initialised as torch does:
    weights and biases uniform in ±1/√in_features.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        dtype = default_float(dtype)  # torch: the default dtype, float32 unless set
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise TypeError(f"Linear: {name} must be an integer, got {n!r}")
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear needs positive sizes, got in_features={in_features}, "
                             f"out_features={out_features}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x):
        if not isinstance(x, (Tensor, np.ndarray)):
            x = _tf._t(x)  # a list or number: made a tensor, or refused with a clear error
        return _LinearOp.apply(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": str(self.weight.dtype)}


class Flatten(Module):
    """Flattens (N, d1, d2, …) to (N, d1·d2·…): an image becomes a vector of pixels."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        x = x if hasattr(x, "grad_fn") else _tf._t(x)
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def config(self):
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}


class Dropout(Module):
    """Randomly zeroes units with probability p while training; does nothing in eval mode.

    ``inplace`` is accepted for torch's sake; the result is computed out of place (same values,
    and the input stays as it was)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__} probability must be in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"

    def config(self):
        return {"p": self.p}


class Dropout2d(Dropout):
    """Zeroes whole channels of (N, C, H, W) images with probability p while training."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)


class Identity(Module):
    """Returns its input: the identity activation h(x) = x of a regression output."""

    def forward(self, x):
        return x

    def config(self):
        return {}
