"""``chainrule.nn.functional`` (import as ``F``): activations, ``linear``, dropout and losses,
with torch's names and arguments.

Targets may be tensors, NumPy arrays or lists; class-index targets are integers.
"""

import numpy as np

from ..backend import get_array_module, on_host
from ..devices import move
from ..errors import ShapeError, module_getattr
from ..functional import _t as _tensor
from ..functional import sigmoid, tanh  # noqa: F401 - F.tanh is chainrule.tanh, as in torch
from ..ops.activation import ELU, LeakyReLU, LogSoftmax, ReLU, Softmax, Step
from ..ops.conv import Conv2d as _Conv2d
from ..ops.conv import pair as _pair
from ..ops.dropout import ChannelDropout as _ChannelDropout
from ..ops.dropout import Dropout
from ..ops.embedding import Embedding as _Embedding
from ..ops.kl_div import KLDiv as _KLDiv
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
    check_same_shape,
)
from ..ops.normalization import BatchNorm as _BatchNorm
from ..ops.normalization import LayerNorm as _LayerNorm
from ..ops.padding import PadByIndex as _PadByIndex
from ..ops.padding import PadConstant as _PadConstant
from ..ops.padding import pad_widths as _pad_widths
from ..ops.pooling import AvgPool2d as _AvgPool2d
from ..ops.pooling import MaxPool2d as _MaxPool2d
from ..ops.robust_loss import L1 as _L1
from ..ops.robust_loss import Huber as _Huber
from ..ops.robust_loss import SmoothL1 as _SmoothL1
from ..ops.smooth_activation import GELU as _GELU
from ..ops.smooth_activation import SiLU as _SiLU
from ..ops.smooth_activation import Softplus as _Softplus
from ..ops.weighted_nll import WeightedNLL
from ..ops.weighted_nll import check_targets as _check_nll_targets
from ..random import default_generator
from ..tensor import Tensor, _as_array


def _target(t, like=None):
    """Targets stay as given if tensors; arrays and lists are wrapped, floats cast to ``like``
    (and put on its device)."""
    if isinstance(t, Tensor):
        return t
    arr = np.asarray(t)
    if like is None:
        return Tensor(arr)
    if arr.dtype.kind == "f" and arr.dtype != like.dtype:
        arr = arr.astype(like.dtype)
    return Tensor(move(arr, like.device))


# -- activations ---------------------------------------------------------------------------------
def step(x):
    """1 where x > 0, else 0. Its gradient is zero: it cannot be back-propagated through."""
    return Step.apply(_tensor(x))


# ``inplace=True`` is accepted wherever torch takes it and computes out of place: the result is
# the same and the input keeps its values (no aliasing surprises in the graph).
def relu(x, inplace=False):
    return ReLU.apply(_tensor(x))


def leaky_relu(x, negative_slope=0.01, inplace=False):
    return LeakyReLU.apply(_tensor(x), negative_slope)


def elu(x, alpha=1.0, inplace=False):
    return ELU.apply(_tensor(x), alpha)


def gelu(input, approximate="none"):  # noqa: A002
    """x·Φ(x); ``approximate='tanh'`` uses the tanh formula (ops/smooth_activation.py)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _GELU.apply(_tensor(input), approximate)


def silu(input, inplace=False):  # noqa: A002
    """x·σ(x)."""
    return _SiLU.apply(_tensor(input))


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """log(1 + e^(βx))/β, linear where βx > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return _Softplus.apply(_tensor(input), beta, threshold)


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


def dropout(x, p=0.5, training=True, inplace=False, generator=None):
    """Zero each element with probability p while training, scaling the rest by 1/(1 − p).
    ``inplace`` is accepted for torch's sake and computes out of place (the same values)."""
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


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """mean((y − t)²) (or as ``reduction`` says)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _tensor(input)
    return MSE.apply(input, _target(target, input), reduction)


def _weighted(op, losses, weight, reduction):
    """Each element's loss times ``weight`` (broadcast to the losses' shape), then reduced:
    torch's per-element rescaling for the losses that take a ``weight``."""
    w = weight if isinstance(weight, Tensor) else Tensor(_as_array(weight, losses.dtype))
    try:
        fits = np.broadcast_shapes(w.shape, losses.shape) == tuple(losses.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} cannot be broadcast to the "
                         f"input's shape {tuple(losses.shape)}")
    weighted = losses * w
    if reduction == "none":
        return weighted
    return weighted.sum() if reduction == "sum" else weighted.mean()


def _legacy_reduction(size_average, reduce, reduction):
    """torch's deprecated size_average/reduce flags, turned into a reduction as torch does."""
    for name, flag in (("size_average", size_average), ("reduce", reduce)):
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} (deprecated, torch's old flag) must be True, False or "
                            f"None, got {flag!r}: to say how to reduce, pass "
                            "reduction='mean', 'sum' or 'none' by name")
    if size_average is None and reduce is None:
        check_reduction(reduction)
        return reduction
    if reduce is not None and not reduce:
        return "none"
    return "sum" if size_average is not None and not size_average else "mean"


def _class_weight(op, weight, input):
    if weight is None:
        return None
    w = move(_as_array(weight, input.dtype), input.device)
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if w.shape != (n_classes,):
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} must have one entry per class "
                         f"({n_classes}) of the input of shape {tuple(input.shape)}")
    return w


def _may_ignore(target, ignore_index):
    """Whether some target is ``ignore_index`` (then the fused node cannot be used). On a GPU
    the answer would have to be read back at every step, so there the general path runs."""
    return not on_host(target) or bool((target == ignore_index).any())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax + cross-entropy on logits; target is class indices or class probabilities.

    Options as torch: ``weight`` per class, ``ignore_index`` (class-index targets), and
    ``label_smoothing`` ε (the target becomes (1 − ε)·target + ε/C). Without them it is one
    fused node; with them log_softmax, the weighted NLL and the smoothing term are composed.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    input = _tensor(input)
    target = _target(target, input)
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must have a class axis, got a scalar")
    w = _class_weight("cross_entropy", weight, input)
    probs = target.array.dtype.kind == "f" and target.array.ndim == input.array.ndim
    if target.array.dtype.kind == "f" and not probs:
        # class indices stored as floats (labels read from a CSV): say that, not "same shape"
        check_class_indices("cross_entropy", input.shape, target.array)
    ignoring = not probs and _may_ignore(target.array, ignore_index)
    if w is None and not ignoring and label_smoothing == 0:
        return CrossEntropy.apply(input, target, reduction)
    class_axis = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_axis]
    logp = LogSoftmax.apply(input, class_axis)
    w_axis = None if w is None else w.reshape((-1,) + (1,) * (input.ndim - 1 - class_axis))
    if probs:
        check_same_shape("cross_entropy", input.array, target.array)
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        per_class = logp * target if w_axis is None else logp * target * w_axis
        loss = -per_class.sum(class_axis)
        if reduction == "mean":
            return loss.sum() / max(loss.array.size, 1) if loss.ndim else loss
        return loss.sum() if reduction == "sum" else loss
    _check_nll_targets("cross_entropy", input.shape, target.array, ignore_index)
    nll = WeightedNLL.apply(logp, target.array, w, ignore_index, reduction)
    if not label_smoothing:
        return nll
    kept = (target.array != ignore_index).astype(input.dtype)
    per_class = logp if w_axis is None else logp * w_axis
    smooth = -per_class.sum(class_axis) * kept
    if reduction == "mean":
        idx = get_array_module(kept).where(kept > 0, target.array, 0)
        total = (w[idx] * kept).sum() if w is not None else kept.sum()
        smooth = smooth.sum() / total
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
             reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities (pair with ``log_softmax``), with a
    ``weight`` per class and an ``ignore_index`` as torch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _tensor(input)
    target = _target(target, input)
    if input.ndim == 0:
        raise ShapeError("nll_loss: input must have a class axis, got a scalar")
    w = _class_weight("nll_loss", weight, input)
    if w is None and not _may_ignore(target.array, ignore_index):
        return NLLLoss.apply(input, target, reduction)
    _check_nll_targets("nll_loss", input.shape, target.array, ignore_index)
    return WeightedNLL.apply(input, target.array, w, ignore_index, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """BCE on probabilities (after a sigmoid); logs are clamped at −100 as in torch.
    ``weight`` scales each element's loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _tensor(input)
    check_probabilities("binary_cross_entropy", input.array)
    if weight is not None:
        return _weighted("binary_cross_entropy",
                         BCE.apply(input, _target(target, input), "none"), weight, reduction)
    return BCE.apply(input, _target(target, input), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + BCE on logits as one stable node; ``weight`` scales each element's loss,
    ``pos_weight`` the positive term of each class."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _tensor(input)
    if pos_weight is not None:
        pos_weight = move(_as_array(pos_weight, input.dtype), input.device)
    if weight is not None:
        losses = BCEWithLogits.apply(input, _target(target, input), "none", pos_weight)
        return _weighted("binary_cross_entropy_with_logits", losses, weight, reduction)
    return BCEWithLogits.apply(input, _target(target, input), reduction, pos_weight)


# -- convolution and pooling (ops/conv.py, ops/pooling.py) ---------------------------------------
def _image_batch(op, x):
    """(N, C, H, W) as it is; an unbatched (C, H, W) image gets a batch of one (torch does the
    same and drops it again from the output)."""
    x = _tensor(x)
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected an input of shape (N, C, H, W) or (C, H, W), got "
                         f"{tuple(x.shape)}")
    return x, False


def _positive_pair(op, name, value, minimum=1):
    pair = _pair(value, name, op)
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {value!r}")
    return pair


def _same_padding(op, kernel, stride, dilation):
    """padding='same': total padding d·(k − 1) per side pair; an odd total puts the extra pixel
    at the bottom/right, as torch does. Returns (symmetric part, extra)."""
    if stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
    total = [d * (k - 1) for d, k in zip(dilation, kernel)]
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution (cross-correlation, as torch) of (N, C, H, W) images with a weight of
    shape (out_channels, C/groups, kh, kw), as one node (im2col + one matrix product)."""
    x, unbatched = _image_batch("conv2d", input)
    weight = _tensor(weight)
    if weight.ndim != 4:
        raise ShapeError(f"conv2d: weight must have shape (out_channels, in_channels/groups, kh, "
                         f"kw), got {tuple(weight.shape)}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    out_c, c_per_group = weight.shape[:2]
    if x.shape[1] != c_per_group * groups or out_c % groups:
        raise ShapeError(
            f"conv2d: input of shape {tuple(x.shape)} has {x.shape[1]} channels but the weight "
            f"of shape {tuple(weight.shape)} with groups={groups} expects "
            f"{c_per_group * groups} (and out_channels divisible by groups)")
    if bias is not None:
        bias = _tensor(bias)
        if bias.shape != (out_c,):
            raise ShapeError(f"conv2d: bias of shape {tuple(bias.shape)} does not match "
                             f"out_channels={out_c}")
    stride = _positive_pair("conv2d", "stride", stride)
    dilation = _positive_pair("conv2d", "dilation", dilation)
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        padding, extra = _same_padding("conv2d", weight.shape[2:], stride, dilation)
        if any(extra):
            x = pad(x, (0, extra[1], 0, extra[0]))
    elif isinstance(padding, str):
        raise ValueError(f"conv2d: padding must be 'valid', 'same', an int or a pair, got "
                         f"{padding!r}")
    else:
        padding = _positive_pair("conv2d", "padding", padding, minimum=0)
    y = _Conv2d.apply(x, weight, bias, stride, padding, dilation, groups)
    return y.squeeze(0) if unbatched else y


def _pool_args(op, kernel_size, stride, padding, dilation=1):
    kernel = _positive_pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or stride == () else _positive_pair(op, "stride", stride)
    return (kernel, stride, _positive_pair(op, "padding", padding, minimum=0),
            _positive_pair(op, "dilation", dilation))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The largest value of each window (stride defaults to the window size)."""
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported by "
                                  "chainrule (MaxUnpool2d is not there either)")
    x, unbatched = _image_batch("max_pool2d", input)
    kernel, stride, padding, dilation = _pool_args("max_pool2d", kernel_size, stride, padding,
                                                   dilation)
    y = _MaxPool2d.apply(x, kernel, stride, padding, dilation, bool(ceil_mode))
    return y.squeeze(0) if unbatched else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """The mean of each window (stride defaults to the window size)."""
    x, unbatched = _image_batch("avg_pool2d", input)
    kernel, stride, padding, _ = _pool_args("avg_pool2d", kernel_size, stride, padding)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    y = _AvgPool2d.apply(x, kernel, stride, padding, bool(ceil_mode), bool(count_include_pad),
                         divisor_override)
    return y.squeeze(0) if unbatched else y


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):  # noqa: A002
    """Zero whole channels (each (H, W) map) with probability p while training, scaling the
    rest by 1/(1 − p): neighbouring pixels are correlated, so dropping single pixels does little.
    ``inplace`` is accepted and computes out of place (the result is the same)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d probability must be in [0, 1], got {p}")
    x = _tensor(input)
    if x.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: expected an input of shape (N, C, H, W) or (N, C, L), got "
                         f"{tuple(x.shape)}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    # one draw per (sample, channel); a 3-D input is read as (N, C, L) and drops per row, as
    # torch 2.x does today (torch warns that it will read it as an unbatched (C, H, W) later)
    mask_shape = x.shape[:2] + (1,) * (x.ndim - 2)
    return _ChannelDropout.apply(x, p, mask_shape, generator or default_generator())


# -- padding (ops/padding.py) ------------------------------------------------------------------
def pad(input, pad, mode="constant", value=None):  # noqa: A002
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, …)`` from the last
    dim backwards, as torch. Modes: 'constant' (with ``value``, default 0), 'reflect',
    'replicate', 'circular'. Negative (cropping) pads are not supported."""
    x = _tensor(input)
    widths = _pad_widths(x.shape, pad, mode)
    if mode == "constant":
        return _PadConstant.apply(x, widths, 0.0 if value is None else float(value))
    if value is not None and value != 0:
        raise ValueError(f"pad: value={value!r} only applies to mode='constant', not {mode!r}")
    return _PadByIndex.apply(x, widths, mode)


# -- normalisation and embeddings (ops/normalization.py, ops/embedding.py) -----------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of an (N, C, …) input.

    Training: with the batch's mean and biased variance, and (if given) the running statistics
    moved towards them in place, ``r ← (1 − momentum)·r + momentum·batch`` (the variance
    unbiased, as torch). Eval: with the running statistics.
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expected an input of shape (N, C, …), got "
                         f"{tuple(x.shape)}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"batch_norm: {name} of shape {tuple(t.shape)} does not match the "
                             f"{c} channels of the input of shape {tuple(x.shape)}")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and "
                             "running_var")
        return _BatchNorm.apply(x, weight, bias, _as_array(running_mean),
                                _as_array(running_var), eps, False)
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.array.size // max(c, 1)
    if count <= 1:
        raise ValueError(f"batch_norm: training needs more than 1 value per channel, got an "
                         f"input of shape {tuple(x.shape)}")
    mean = x.array.mean(axis=axes)
    var = x.array.var(axis=axes)
    if running_mean is not None:
        running_mean.array[...] = (1 - momentum) * running_mean.array + momentum * mean
    if running_var is not None:
        unbiased = var * (count / (count - 1))
        running_var.array[...] = (1 - momentum) * running_var.array + momentum * unbiased
    return _BatchNorm.apply(x, weight, bias, mean, var, eps, True)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise each sample over its last dims (``normalized_shape``), as one node."""
    x = _tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0 or tuple(x.shape[x.ndim - len(shape):]) != shape or x.ndim < len(shape):
        raise ShapeError(f"layer_norm: normalized_shape {shape} must be the last dims of the "
                         f"input, whose shape is {tuple(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"layer_norm: {name} of shape {tuple(t.shape)} must have the "
                             f"normalized_shape {shape}")
    return _LayerNorm.apply(x, weight, bias, len(shape), eps)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the integer indices ``input``: y = weight[input]."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported by chainrule")
    idx = input.array if isinstance(input, Tensor) else np.asarray(input)
    weight = _tensor(weight)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {tuple(weight.shape)}")
    n = weight.shape[0]
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"embedding: index {bad} is out of range for {n} embeddings "
                         f"(0..{n - 1})")
    if padding_idx is not None:
        padding_idx = _padding_index(padding_idx, n)
    return _Embedding.apply(weight, idx, padding_idx)


def _padding_index(padding_idx, n):
    if not -n <= padding_idx < n:
        raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                         f"num_embeddings={n}")
    return padding_idx % n


def one_hot(tensor, num_classes=-1):
    """Class indices (any shape) as one-hot int64 vectors along a new last dim."""
    idx = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be non-negative, got {int(idx.min())}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: class {int(idx.max())} is out of range for "
                         f"num_classes={num_classes}")
    xp = get_array_module(idx)
    out = xp.zeros(idx.shape + (num_classes,), dtype=np.int64)
    xp.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out)


# -- more losses (ops/robust_loss.py, ops/kl_div.py) ---------------------------------------------
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """|y − t|, reduced: the mean absolute error."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _tensor(input)
    return _L1.apply(input, _target(target, input), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
                   beta=1.0):
    """Squared error below ``beta``, absolute error above (Fast R-CNN's loss)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input = _tensor(input)
    return _SmoothL1.apply(input, _target(target, input), reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002
    """Squared error below ``delta``, δ-sloped absolute error above."""
    check_reduction(reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input = _tensor(input)
    return _Huber.apply(input, _target(target, input), reduction, float(delta))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target=False):
    """KL(target ‖ q) with ``input`` = log q; 'batchmean' gives the KL per sample."""
    if reduction != "batchmean":
        reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _tensor(input)
    return _KLDiv.apply(input, _target(target, input), reduction, bool(log_target))


# -- vectors -------------------------------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """x / max(‖x‖_p, eps) along ``dim``: unit vectors (composed, so gradients follow)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported by chainrule")
    x = _tensor(input)
    if p == 2:
        norm = x.norm(2, dim, keepdim=True)
    elif p == float("inf"):
        norm = x.abs().amax(dim, keepdim=True)
    elif p > 0:
        norm = (x.abs() ** p).sum(dim=dim, keepdim=True) ** (1.0 / p)
    else:
        raise ValueError(f"normalize: p must be positive, got {p}")
    return x / norm.clip(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos of the angle between x1 and x2 along ``dim``: each divided by its norm (clamped at
    ``eps``) first, then the dot product, as torch computes it (stays within [−1, 1])."""
    x1, x2 = _tensor(x1), _tensor(x2)
    n1 = x1.norm(2, dim, keepdim=True).clip(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clip(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim=dim)

__getattr__ = module_getattr("chainrule.nn.functional")  # a torch name not here: one line saying so
