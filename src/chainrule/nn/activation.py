"""Activation layers: the function a neuron applies to its weighted sum.

Each wraps one op from ``chainrule.ops.activation``, where the formula and its derivative live.
"""

from ..ops.activation import ELU as _ELU
from ..ops.activation import LeakyReLU as _LeakyReLU
from ..ops.activation import LogSoftmax as _LogSoftmax
from ..ops.activation import ReLU as _ReLU
from ..ops.activation import Sigmoid as _Sigmoid
from ..ops.activation import Softmax as _Softmax
from ..ops.activation import Step as _Step
from ..ops.activation import Tanh as _Tanh
from ..ops.smooth_activation import GELU as _GELU
from ..ops.smooth_activation import SiLU as _SiLU
from . import functional as F
from .functional import _tensor  # a list or number becomes a tensor, as F.relu(x) does
from .layers import Identity  # noqa: F401 - the identity activation lives with the layers
from .module import Module


class _Elementwise(Module):
    op = None

    def forward(self, x):
        return self.op.apply(_tensor(x))

    def config(self):
        return {}


class Step(_Elementwise):
    """1 if x > 0 else 0 — the perceptron's activation; no gradient flows through it."""

    op = _Step


class Sigmoid(_Elementwise):
    """σ(x) = 1/(1 + e⁻ˣ): squashes to (0, 1); saturates, so deep stacks of it vanish gradients."""

    op = _Sigmoid


class Tanh(_Elementwise):
    """tanh(x): squashes to (−1, 1), centred at 0; saturates like the sigmoid."""

    op = _Tanh


class ReLU(_Elementwise):
    """max(0, x): does not saturate for x > 0; a unit stuck at x ≤ 0 for all inputs is 'dead'.

    ``inplace`` (here and in LeakyReLU, ELU, SiLU) is accepted for torch's sake; the output is
    computed out of place, with the same values, and the input keeps its own."""

    op = _ReLU

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(Module):
    """x if x > 0 else slope·x: a small slope keeps dead units alive."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return _LeakyReLU.apply(_tensor(x), self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"

    def config(self):
        return {"negative_slope": self.negative_slope}


class ELU(Module):
    """x if x > 0 else α(eˣ − 1): smooth, and negative outputs keep the mean near zero."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x):
        return _ELU.apply(_tensor(x), self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"

    def config(self):
        return {"alpha": self.alpha}


class GELU(Module):
    """x·Φ(x), Φ the standard normal CDF (transformers' activation); ``approximate='tanh'``
    uses the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return _GELU.apply(_tensor(x), self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"

    def config(self):
        return {"approximate": self.approximate}


class SiLU(_Elementwise):
    """x·σ(x) (swish): smooth, slightly negative for x < 0."""

    op = _SiLU

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class Softplus(Module):
    """log(1 + e^(βx))/β: a smooth ReLU (linear where βx > threshold)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"

    def config(self):
        return {"beta": self.beta, "threshold": self.threshold}


class Softmax(Module):
    """Turns scores into probabilities that sum to 1 along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return _Softmax.apply(_tensor(x), self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"

    def config(self):
        return {"dim": self.dim}


class LogSoftmax(Softmax):
    """log of softmax along ``dim``, computed stably (pair with NLLLoss)."""

    def forward(self, x):
        return _LogSoftmax.apply(_tensor(x), self.dim)
