"""``chainrule.nn.functional`` (import as ``F``): activations, ``linear``, dropout and losses,
with torch's names and arguments.

Targets may be tensors, NumPy arrays or lists; class-index targets are integers.
"""

import numpy as np

from ..ops.activation import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Step, Tanh
from ..ops.dropout import Dropout
from ..ops.linear import Linear
from ..ops.loss import (
    BCE,
    MSE,
    SSE,
    BCEWithLogits,
    CrossEntropy,
    NLLLoss,
    check_class_indices,
    check_probabilities,
    check_reduction,
)
from ..random import default_generator
from ..tensor import Tensor, _as_array


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(_as_array(x))


def _target(t, like=None):
    """Targets stay as given if tensors; arrays and lists are wrapped, floats cast to ``like``."""
    if isinstance(t, Tensor):
        return t
    arr = np.asarray(t)
    if like is not None and arr.dtype.kind == "f" and arr.dtype != like.dtype:
        arr = arr.astype(like.dtype)
    return Tensor(arr)


# -- activations ---------------------------------------------------------------------------------
def step(x):
    """1 where x > 0, else 0. Its gradient is zero: it cannot be back-propagated through."""
    return Step.apply(_tensor(x))


def sigmoid(x):
    return Sigmoid.apply(_tensor(x))


def tanh(x):
    return Tanh.apply(_tensor(x))


def relu(x):
    return ReLU.apply(_tensor(x))


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(_tensor(x), negative_slope)


def elu(x, alpha=1.0):
    return ELU.apply(_tensor(x), alpha)


def softmax(x, dim=-1):
    return Softmax.apply(_tensor(x), dim)


def log_softmax(x, dim=-1):
    return LogSoftmax.apply(_tensor(x), dim)


def identity(x):
    """The identity activation h(x) = x, used for regression outputs."""
    return _tensor(x)


# -- layers as functions -------------------------------------------------------------------------
def linear(x, weight, bias=None):
    """y = x·Wᵀ + b with W of shape (out_features, in_features), as one node."""
    return Linear.apply(_tensor(x), weight, bias)


def dropout(x, p=0.5, training=True, generator=None):
    """Zero each element with probability p while training, scaling the rest by 1/(1 − p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = _tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return Dropout.apply(x, p, generator or default_generator())


# -- losses --------------------------------------------------------------------------------------
def sse(input, target):  # noqa: A002 - torch's argument name
    """The notes' sum of squares for error: ½·Σ(y − t)²."""
    input = _tensor(input)
    return SSE.apply(input, _target(target, input))


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    check_reduction(reduction)
    input = _tensor(input)
    return MSE.apply(input, _target(target, input), reduction)


def cross_entropy(input, target, reduction="mean"):  # noqa: A002
    """Softmax + cross-entropy on logits; target is class indices or class probabilities."""
    check_reduction(reduction)
    input = _tensor(input)
    target = _target(target, input)
    if target.data.dtype.kind == "f" and target.data.ndim == input.data.ndim - 1:
        # class indices stored as floats (labels read from a CSV): say that, not "same shape"
        check_class_indices("cross_entropy", input.shape, target.data)
    return CrossEntropy.apply(input, target, reduction)


def nll_loss(input, target, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of log-probabilities (pair with ``log_softmax``)."""
    check_reduction(reduction)
    return NLLLoss.apply(_tensor(input), _target(target), reduction)


def binary_cross_entropy(input, target, reduction="mean"):  # noqa: A002
    """BCE on probabilities (after a sigmoid); logs are clamped at −100 as in torch."""
    check_reduction(reduction)
    input = _tensor(input)
    check_probabilities("binary_cross_entropy", input.data)
    return BCE.apply(input, _target(target, input), reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean", pos_weight=None):  # noqa: A002
    """Sigmoid + BCE on logits as one stable node."""
    check_reduction(reduction)
    input = _tensor(input)
    if pos_weight is not None:
        pos_weight = _as_array(pos_weight, input.dtype)
    return BCEWithLogits.apply(input, _target(target, input), reduction, pos_weight)
