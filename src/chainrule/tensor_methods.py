"""The operations on a tensor (``x + y``, ``x.exp()``, ``x.sum(dim=1)``, ``x[i]`` …), bound to
``Tensor`` in one place, as DeZero's ``setup_variable``.

Each method reads torch's arguments (``torch_args``) and calls an op's ``Function.apply``; the
few with no op of their own (``var``, ``norm``, ``split`` …) are compositions of those calls.
``bind_methods`` at the bottom puts every method of ``TensorMethods`` on ``Tensor``; chainrule's
``__init__`` imports this module right after ``tensor``.
"""

import math
import numbers
import operator

import numpy as np

from . import functional
from .autograd.grad_mode import GradMode
from .backend import get_array_module, on_host
from .devices import CPU, move, place, same_place, to_host
from .devices import device as cuda_device
from .dtypes import dtype_of_type_name, type_name
from .errors import ShapeError
from .ops.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .ops.arithmetic import Add, Cast, Div, FloorDivide, Identity, Mul, Neg, Pow, Sub
from .ops.elementwise import (
    Abs,
    Clip,
    Cos,
    Exp,
    Expm1,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Round,
    Sign,
    Sin,
    Sqrt,
    Where,
)
from .ops.indexing import Gather, IndexSelect
from .ops.matmul import MatMul
from .ops.reduction import (
    Amax,
    Amin,
    LogSumExp,
    Max,
    Mean,
    Min,
    Norm,
    Prod,
    Sum,
)
from .ops.scan import CumSum
from .ops.shape import (
    BroadcastTo,
    Flip,
    GetItem,
    Permute,
    Repeat,
    Reshape,
    Roll,
    integers_first,
)
from .ops.sorting import TakeAlongAxis, sort_order
from .ops.transfer import ToDevice
from .tensor import Tensor, _as_array
from .torch_args import (
    DtypeShortcuts,
    axis_or_dim,
    check_ndim,
    dim_index,
    dims_tuple,
    every_dim_if_empty,
    normalize_axis,
    random_generator,
    read_to,
    scaled_operand,
    unwrap_index,
)


class TensorMethods(DtypeShortcuts):
    """Tensor's operations, written as a class so they read as methods (and a method named
    ``sum`` does not hide the builtin from the others); ``bind_methods`` moves them onto Tensor."""

    def clone(self):
        return Identity.apply(self) if self.requires_grad else Tensor(self.array.copy())

    # -- dtype ---------------------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """This tensor on another device or as another dtype, as torch reads it:
        ``x.to("cuda")``, ``x.to(cr.float64)``, ``x.to(device, cr.float64)``, ``x.to(other)``
        (other's device and dtype). The tensor itself when nothing changes; otherwise a copy
        that the gradient flows back through (to the device it came from)."""
        dtype, device = read_to("Tensor", args, dtype, device)
        out = self
        if device is not None and not same_place(self.array, device):
            out = ToDevice.apply(self, device) if self.requires_grad else Tensor(
                move(self.array, device))
        if dtype is not None and dtype != out.dtype:
            if dtype.kind not in "fc":  # integers and booleans have no gradient: off the graph
                out = Tensor(out.array.astype(dtype))
            else:
                out = Cast.apply(out, dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        """This tensor in main memory: itself when it is there already (``.detach().cpu()
        .numpy()`` as in torch code), else a copy."""
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False):
        """This tensor on a GPU (``device``: its number, by default the current one)."""
        return self.to(cuda_device("cuda" if device is None else device))

    def type(self, dtype=None, non_blocking=False):
        """Without an argument, the type's name as torch gives it (``'chainrule.FloatTensor'``
        where torch says ``'torch.FloatTensor'``); with a dtype or such a name (``'torch.
        DoubleTensor'`` too), this tensor converted to it."""
        if dtype is None:
            return type_name(self.array.dtype)
        return self.to(dtype_of_type_name(dtype) if isinstance(dtype, str) else dtype)

    def short(self):
        return Tensor(self.array.astype(np.int16))

    def byte(self):
        return Tensor(self.array.astype(np.uint8))

    def char(self):
        return Tensor(self.array.astype(np.int8))

    # -- arithmetic ------------------------------------------------------------------------------
    def __add__(self, other):
        return Add.apply(self, other)

    def __radd__(self, other):
        return Add.apply(other, self)

    def __sub__(self, other):
        return Sub.apply(self, other)

    def __rsub__(self, other):
        return Sub.apply(other, self)

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __rmul__(self, other):
        return Mul.apply(other, self)

    def __truediv__(self, other):
        return Div.apply(self, other)

    def __rtruediv__(self, other):
        return Div.apply(other, self)

    def __pow__(self, exponent):
        return Pow.apply(self, exponent)

    def __rpow__(self, base):
        return Pow.apply(base, self)

    def __neg__(self):
        return Neg.apply(self)

    def __floordiv__(self, other):
        return FloorDivide.apply(self, other)

    def __rfloordiv__(self, other):
        return FloorDivide.apply(other, self)

    floor_divide = __floordiv__

    # torch's method names for the operators (``alpha`` scales ``other`` first, as in torch)
    def add(self, other, *, alpha=1):
        return Add.apply(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return Sub.apply(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return Mul.apply(self, other)

    def div(self, other):
        return Div.apply(self, other)

    def neg(self):
        return Neg.apply(self)

    def __abs__(self):
        return Abs.apply(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return MatMul.apply(other, self)

    def matmul(self, other):
        return MatMul.apply(self, other)

    def __iadd__(self, other):
        return self._inplace(np.add, "+=", other)

    def __isub__(self, other):
        return self._inplace(np.subtract, "-=", other)

    def __imul__(self, other):
        return self._inplace(np.multiply, "*=", other)

    def __itruediv__(self, other):
        return self._inplace(np.true_divide, "/=", other)

    # torch's in-place methods (fill_, add_, ...)
    # Each changes self and returns it, under the rule of +=: refused on a tensor that requires
    # grad unless inside no_grad (where weights are initialised and updated).
    def add_(self, other, *, alpha=1):
        """self ← self + alpha·other."""
        self._check_inplace("add_", other)
        return self._inplace(np.add, "add_", scaled_operand(other, alpha), instead="x.add(y)")

    def sub_(self, other, *, alpha=1):
        """self ← self − alpha·other."""
        self._check_inplace("sub_", other)
        return self._inplace(np.subtract, "sub_", scaled_operand(other, alpha), instead="x.sub(y)")

    def mul_(self, other):
        """self ← self · other."""
        return self._inplace(np.multiply, "mul_", other, instead="x.mul(y)")

    def div_(self, other):
        """self ← self / other (true division: an integer tensor cannot hold the result)."""
        return self._inplace(np.true_divide, "div_", other, instead="x.div(y)")

    def clamp_(self, min=None, max=None):  # noqa: A002 - torch's argument names
        """self ← self clipped to [min, max] (numbers or tensors; min > max gives max)."""
        if min is None and max is None:
            raise ValueError("clamp_ needs min or max")
        return self._inplace(np.clip, "clamp_", min, max, instead="x.clamp(min, max)")

    clip_ = clamp_

    def fill_(self, value):
        """Every element ← ``value`` (a number or a 0-d tensor), cast to this tensor's dtype as
        torch does (2.7 in an integer tensor is 2)."""
        self._check_inplace("fill_", value)
        if isinstance(value, Tensor):
            if value.array.ndim:
                raise ShapeError(f"fill_: the value must be a number or a 0-d tensor, got a "
                                 f"tensor of shape {tuple(value.array.shape)}")
            value = value.array
        try:
            self.array[...] = value
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"fill_: {value!r} cannot be stored in this {self.array.dtype} "
                            "tensor") from None
        return self

    def copy_(self, src, non_blocking=False):
        """self ← the values of ``src``, broadcast to self's shape and cast to its dtype (any
        dtype, as torch: floats copied into integers are truncated)."""
        self._check_inplace("copy_", src)
        src = src.array if isinstance(src, Tensor) else np.asarray(src)
        try:
            fits = np.broadcast_shapes(src.shape, self.array.shape) == self.array.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"copy_: a source of shape {tuple(src.shape)} cannot be broadcast "
                             f"to this tensor's shape {tuple(self.array.shape)}")
        np.copyto(self.array, src, casting="unsafe")
        return self

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """Every element ← a draw from the uniform distribution on [from, to), from chainrule's
        seeded generator (``manual_seed``). torch's first argument is named ``from``, a Python
        keyword: pass it by position (or as ``from_``)."""
        self._check_random("uniform_")
        if from_ > to:
            raise ValueError(f"uniform_: from ({from_}) must not be greater than to ({to})")
        rng = random_generator("uniform_", generator)
        self.array[...] = rng.uniform(from_, to, self.array.shape)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Every element ← a draw from the normal distribution N(mean, std²), from chainrule's
        seeded generator (``manual_seed``)."""
        self._check_random("normal_")
        if std < 0:
            raise ValueError(f"normal_: std must not be negative, got {std}")
        rng = random_generator("normal_", generator)
        self.array[...] = rng.normal(mean, std, self.array.shape)
        return self

    def _check_random(self, symbol):
        self._check_inplace(symbol)
        if self.array.dtype.kind != "f":
            raise TypeError(f"{symbol}: only floating point tensors can hold random draws, this "
                            f"one is {self.array.dtype}")

    # -- comparisons (no gradient: their output is a boolean) ----------------------------------
    def _compare(self, op, other):
        return Tensor(op(self.array, other.array if isinstance(other, Tensor) else other))

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    # torch's method names for the comparisons (``pred.eq(target).sum().item()``)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    __hash__ = object.__hash__  # tensors are identified by object (e.g. as dict keys)

    # -- combining masks: & | ^ ~ on booleans (bitwise on integers), no gradient ---------------
    def _bitwise(self, op, symbol, other=None):
        if self.array.dtype.kind not in "biu":
            raise TypeError(f"{symbol}: only boolean or integer tensors, this one is "
                            f"{self.array.dtype}")
        if other is None:
            return Tensor(op(self.array))
        return self._compare(op, other)

    def __and__(self, other):
        return self._bitwise(np.bitwise_and, "&", other)

    def __or__(self, other):
        return self._bitwise(np.bitwise_or, "|", other)

    def __xor__(self, other):
        return self._bitwise(np.bitwise_xor, "^", other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # each is symmetric

    def __invert__(self):
        return self._bitwise(np.invert, "~")

    # -- elementwise functions -------------------------------------------------------------------
    def exp(self):
        return Exp.apply(self)

    def log(self):
        return Log.apply(self)

    def sqrt(self):
        return Sqrt.apply(self)

    def abs(self):
        return Abs.apply(self)

    def sin(self):
        return Sin.apply(self)

    def cos(self):
        return Cos.apply(self)

    def log1p(self):
        return Log1p.apply(self)

    def expm1(self):
        return Expm1.apply(self)

    def sign(self):
        return Sign.apply(self)

    def pow(self, exponent):
        return Pow.apply(self, exponent)

    def square(self):
        return Pow.apply(self, 2)

    # composite math lives once, in the functional module: x.var() is chainrule.var(x)
    var = functional.var
    std = functional.std

    def norm(self, p=2, dim=None, keepdim=False):
        """The Euclidean (Frobenius) norm over ``dim`` (all elements by default). Only p=2."""
        if p != 2 and p != "fro":
            raise ValueError(f"norm: only p=2 (Euclidean/Frobenius) is implemented, got p={p!r}")
        if self.array.dtype == np.float16:  # x² overflows past 256 and flushes to 0 below 1e-4
            return self.float().norm(p, dim, keepdim).to(np.float16)
        return Norm.apply(self, normalize_axis(dim, self.array.ndim, "norm"), bool(keepdim))

    def clip(self, min=None, max=None):  # noqa: A002 - torch's argument names
        if min is None and max is None:
            raise ValueError("clip needs min or max")
        return Clip.apply(self, min, max)

    clamp = clip

    def maximum(self, other):
        return Maximum.apply(self, other)

    def minimum(self, other):
        return Minimum.apply(self, other)

    def sigmoid(self):
        return Sigmoid.apply(self)

    def tanh(self):
        return Tanh.apply(self)

    def relu(self):
        return ReLU.apply(self)

    def softmax(self, dim=-1):
        return Softmax.apply(self, dim)

    def log_softmax(self, dim=-1):
        return LogSoftmax.apply(self, dim)

    # -- what is finite (no gradient: the output is a boolean) -----------------------------------
    def isnan(self):
        return Tensor(np.isnan(self.array))

    def isinf(self):
        return Tensor(np.isinf(self.array))

    def isfinite(self):
        return Tensor(np.isfinite(self.array))

    # -- masks ------------------------------------------------------------------------------------
    def _fill_mask(self, op, mask, value):
        """The mask's array (boolean, broadcastable to this tensor) and the fill value (a number
        in this tensor's dtype, or a 0-d tensor)."""
        if not isinstance(mask, (Tensor, np.ndarray)) or mask.dtype != np.bool_:
            raise TypeError(f"{op}: the mask must be a boolean tensor (e.g. x > 0), got "
                            f"{getattr(mask, 'dtype', type(mask).__name__)}")
        mask = mask.array if isinstance(mask, Tensor) else mask
        try:
            fits = np.broadcast_shapes(mask.shape, self.array.shape) == self.array.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"{op}: a mask of shape {tuple(mask.shape)} cannot be broadcast to "
                             f"the tensor's shape {tuple(self.array.shape)}")
        if isinstance(value, Tensor):
            if value.array.ndim:
                raise ShapeError(f"{op}: the value must be a number or a 0-d tensor, got a "
                                 f"tensor of shape {tuple(value.array.shape)}")
        else:
            value = np.asarray(value).astype(self.array.dtype)
        return mask, value

    def masked_fill(self, mask, value):
        """This tensor with ``value`` where ``mask`` is True (torch.masked_fill); the gradient
        flows to self where the mask is False, and to a tensor ``value`` where it is True."""
        mask, value = self._fill_mask("masked_fill", mask, value)
        if isinstance(value, Tensor) and value.array.dtype != self.array.dtype:
            value = value.to(self.array.dtype)
        return Where.apply(mask, value, self)

    def masked_fill_(self, mask, value):
        """``value`` written where ``mask`` is True, in place (under the rule of ``+=``)."""
        self._check_inplace("masked_fill_", value)
        mask, value = self._fill_mask("masked_fill_", mask, value)
        value = value.array if isinstance(value, Tensor) else value
        np.copyto(self.array, value, casting="unsafe", where=mask)
        return self

    # -- reductions ------------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return Sum.apply(self, axis_or_dim(axis, dim), keepdims or bool(keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return Mean.apply(self, axis_or_dim(axis, dim), keepdims or bool(keepdim))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """torch style: ``x.max()`` is the largest value; ``x.max(1)`` (or ``dim=1``) gives
        ``(values, indices)`` as ``torch.max(x, 1)`` does, so ``_, pred = out.max(1)`` works.
        NumPy style: ``axis=`` (an axis or a tuple of them) gives the values only."""
        return self._extreme(Max, "argmax", dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Like ``max``: ``(values, indices)`` for a ``dim``, values for ``axis=``."""
        return self._extreme(Min, "argmin", dim, keepdim, axis, keepdims)

    def _extreme(self, op, arg, dim, keepdim, axis, keepdims):
        keep = bool(keepdim) or bool(keepdims)
        values = op.apply(self, axis_or_dim(axis, dim), keep)
        if isinstance(dim, numbers.Integral):  # one torch dim: the indices come too
            return MaxResult(values, getattr(self, arg)(dim, keepdim=keep))
        return values

    def argmax(self, axis=None, keepdim=False, *, dim=None):
        axis = axis_or_dim(axis, dim)
        if axis is not None:
            axis = dim_index(axis, self.array.ndim, "argmax") if self.array.ndim else None
        return Tensor(self.array.argmax(axis=axis, keepdims=keepdim).astype(np.int64))

    def argmin(self, axis=None, keepdim=False, *, dim=None):
        axis = axis_or_dim(axis, dim)
        if axis is not None:
            axis = dim_index(axis, self.array.ndim, "argmin") if self.array.ndim else None
        return Tensor(self.array.argmin(axis=axis, keepdims=keepdim).astype(np.int64))

    def all(self, dim=None, keepdim=False):
        """Is every element True (non-zero), over ``dim`` or all of them? A boolean tensor."""
        return self._logical_reduction(np.all, "all", dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """Is any element True (non-zero), over ``dim`` or all of them? A boolean tensor."""
        return self._logical_reduction(np.any, "any", dim, keepdim)

    def _logical_reduction(self, reduce, op, dim, keepdim):
        if dim is None:
            return Tensor(np.asarray(reduce(self.array)))
        axes = normalize_axis(dim, self.array.ndim, op)
        return Tensor(np.asarray(reduce(self.array, axis=axes, keepdims=bool(keepdim))))

    # -- no gradient: logic, counting, rounding -------------------------------------------------
    def logical_not(self):
        return Tensor(np.logical_not(self.array))

    def logical_and(self, other):
        return self._compare(np.logical_and, other)

    def logical_or(self, other):
        return self._compare(np.logical_or, other)

    def logical_xor(self, other):
        return self._compare(np.logical_xor, other)

    def count_nonzero(self, dim=None):
        axes = None if dim is None else normalize_axis(dim, self.array.ndim, "count_nonzero")
        return Tensor(np.asarray(np.count_nonzero(self.array, axis=axes), dtype=np.int64))

    def nonzero(self, *, as_tuple=False):
        """The indices of the non-zero elements: one row per element (torch.nonzero), or one
        index tensor per dim with ``as_tuple=True`` (torch.where with a condition alone)."""
        found = np.nonzero(np.atleast_1d(self.array))
        if as_tuple:
            return tuple(Tensor(f.astype(np.int64)) for f in found)
        return Tensor(np.stack(found, axis=1).astype(np.int64))

    def round(self):
        return Round.apply(self, "round")

    def floor(self):
        return Round.apply(self, "floor")

    def ceil(self):
        return Round.apply(self, "ceil")

    # -- compositions with a gradient -------------------------------------------------------------
    def reciprocal(self):
        return Div.apply(1.0, self if self.array.dtype.kind == "f" else self.float())

    def rsqrt(self):
        return Pow.apply(self, -0.5)

    def log2(self):
        return Log.apply(self) / math.log(2.0)

    def log10(self):
        return Log.apply(self) / math.log(10.0)

    def clamp_min(self, min):  # noqa: A002 - torch's argument name
        return Clip.apply(self, min, None)

    def clamp_max(self, max):  # noqa: A002 - torch's argument name
        return Clip.apply(self, None, max)

    def masked_select(self, mask):
        """The elements where ``mask`` (boolean, broadcastable to self) is True, as a 1-d tensor;
        each one's gradient goes back to its place."""
        mask, _ = self._fill_mask("masked_select", mask, 0)
        return self[np.broadcast_to(mask, self.array.shape)]

    def tril(self, diagonal=0):
        """The lower triangle (on and below ``diagonal``) of the last two dims, zeros above; the
        gradient is masked the same way."""
        return self._triangle("tril", diagonal, lower=True)

    def triu(self, diagonal=0):
        """The upper triangle (on and above ``diagonal``) of the last two dims, zeros below."""
        return self._triangle("triu", diagonal, lower=False)

    def _triangle(self, op, diagonal, lower):
        if self.array.ndim < 2:
            raise ShapeError(f"{op}: needs a matrix or a batch of matrices, got a "
                             f"{self.array.ndim}-d tensor")
        n, m = self.array.shape[-2:]
        keep = np.tri(n, m, diagonal, dtype=bool)
        keep = keep if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)
        return Where.apply(keep, self, np.zeros((), self.array.dtype))

    # torch's reductions, scans and sorting (amax, logsumexp, ...)
    def amax(self, dim=(), keepdim=False):
        """The largest value over ``dim`` (an int or a tuple; every dim by default), values only.
        Ties share the gradient evenly, as torch's amax. (torch's ``max(dim)`` gives it all to
        the index it returns; chainrule's ``max(dim)`` shares it, as amax does.)"""
        return Amax.apply(self, every_dim_if_empty(dim), bool(keepdim))

    def amin(self, dim=(), keepdim=False):
        """The smallest value over ``dim``, as ``amax``."""
        return Amin.apply(self, every_dim_if_empty(dim), bool(keepdim))

    def logsumexp(self, dim, keepdim=False):
        """log Σ exp(x) over ``dim`` (an int or a tuple), computed without overflow; its gradient
        is softmax(x). Integers give float32, as in torch."""
        axes = normalize_axis(every_dim_if_empty(dim), self.array.ndim, "logsumexp")
        return LogSumExp.apply(self, axes, bool(keepdim))

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of all elements, or along one ``dim``; ``dtype`` casts first. Integers
        and booleans multiply in int64, as in torch. Each element's gradient is the product of
        the others (right also where x holds zeros)."""
        x = self if dtype is None else self.to(dtype)
        if dim is not None:
            dim = dim_index(dim, self.array.ndim, "prod")
            dim = dim if self.array.ndim else None  # a 0-d tensor's dim 0 is all of it
        return Prod.apply(x, dim, bool(keepdim))

    def cumsum(self, dim, *, dtype=None):
        """Running totals along ``dim``: element i is the sum of elements 0 … i. Integers and
        booleans add up in int64, as in torch. Element j's gradient is the sum of g over the
        totals it is part of, i ≥ j."""
        x = self if dtype is None else self.to(dtype)
        axis = dim_index(dim, self.array.ndim, "cumsum")
        if not self.array.ndim:  # one element: its running total is itself
            return CumSum.apply(x.reshape(1), 0).reshape(())
        return CumSum.apply(x, axis)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """``(values, indices)``: the elements along ``dim`` in order, and where each came from.
        Always stable (equal elements keep their order), which torch allows for any ``stable``;
        NaN sorts as the largest value. Each value's gradient goes back to its element."""
        axis = dim_index(dim, self.array.ndim, "sort")
        if not self.array.ndim:
            values, indices = self.reshape(1).sort(0, descending)
            return MaxResult(values.reshape(()), indices.reshape(()))
        order = sort_order(self.array, axis, descending)
        return MaxResult(TakeAlongAxis.apply(self, order, axis), Tensor(order))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort the elements along ``dim`` (``sort(...).indices``)."""
        dim_index(dim, self.array.ndim, "argsort")  # an error names argsort, not sort
        return self.sort(dim, descending, stable=stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's argument name
        """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, in
        order (also for ``sorted=False``: torch leaves that order open). Of equal elements the
        first ones are taken. Each value's gradient goes back to its element, the rest get 0."""
        axis = dim_index(dim, self.array.ndim, "topk")
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"topk: k must be an integer, got {k!r}")
        size = self.array.shape[axis] if self.array.ndim else 1
        if not 0 <= k <= size:
            raise ValueError(f"topk: k={k} is out of range for dim {dim} of size {size} "
                             f"(shape {tuple(self.array.shape)})")
        if not self.array.ndim:
            values, indices = self.reshape(1).topk(k, 0, largest)
            if k:
                values, indices = values.reshape(()), indices.reshape(())
            return MaxResult(values, indices)
        order = sort_order(self.array, axis, descending=largest)
        order = order.take(get_array_module(order).arange(k), axis=axis)
        return MaxResult(TakeAlongAxis.apply(self, order, axis), Tensor(order))

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = dims_tuple(shape)
        if shape == self.array.shape:
            return self
        return Reshape.apply(self, shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self.array.shape
        start = dim_index(start_dim, len(shape), "flatten")
        end = dim_index(end_dim, len(shape), "flatten")
        if not shape:
            return self.reshape(1)
        if start > end:
            raise IndexError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {tuple(shape)}")
        # the size itself, not -1: NumPy cannot infer a -1 beside a 0 (an empty batch)
        new = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
        return self.reshape(new)

    def squeeze(self, dim=None):
        """Drop dims of size 1: all of them, the one ``dim``, or those in a tuple (torch 2)."""
        shape = self.array.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        elif isinstance(dim, (tuple, list)):
            dims = {dim_index(d, len(shape), "squeeze") for d in dim}
            new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        else:
            dim = dim_index(dim, len(shape), "squeeze")
            new = shape[:dim] + shape[dim + 1:] if shape and shape[dim] == 1 else shape
        return self.reshape(new)

    def unsqueeze(self, dim):
        shape = self.array.shape
        dim = dim_index(dim, len(shape), "unsqueeze", new_axis=True)
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    def permute(self, *dims):
        return Permute.apply(self, dims_tuple(dims))

    def transpose(self, *dims):
        """``transpose(d0, d1)`` swaps two axes (torch); ``transpose()`` reverses them all and
        ``transpose(axes)`` with one tuple permutes them (NumPy)."""
        ndim = self.array.ndim
        if not dims:
            return Permute.apply(self, tuple(range(ndim - 1, -1, -1)))
        if len(dims) == 2 and all(isinstance(d, numbers.Integral) for d in dims):
            a, b = (dim_index(d, ndim, "transpose") for d in dims)
            if ndim == 0:
                return self
            axes = list(range(ndim))
            axes[a], axes[b] = axes[b], axes[a]
            return Permute.apply(self, tuple(axes))
        return Permute.apply(self, dims_tuple(dims))

    @property
    def T(self):  # noqa: N802 - the array world's name
        return Permute.apply(self, tuple(range(self.array.ndim - 1, -1, -1)))

    def expand(self, *shape):
        """This tensor broadcast to ``shape``; as in torch, -1 keeps that dimension's size."""
        shape = dims_tuple(shape)
        lead = len(shape) - self.array.ndim  # new leading dims have no size to keep
        if lead >= 0 and -1 in shape[lead:]:
            shape = shape[:lead] + tuple(self.array.shape[i] if n == -1 else n
                                         for i, n in enumerate(shape[lead:]))
        return BroadcastTo.apply(self, shape)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is), as torch."""
        if self.array.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, got shape "
                             f"{self.array.shape}; use transpose(d0, d1) or permute")
        return self if self.array.ndim < 2 else Permute.apply(self, (1, 0))

    def mm(self, other):
        """Matrix product of two matrices (torch.mm): like ``@``, but only for 2-d tensors."""
        check_ndim("mm", 2, self, other)
        return MatMul.apply(self, other)

    def dot(self, other):
        """Dot product of two vectors (torch.dot)."""
        check_ndim("dot", 1, self, other)
        return MatMul.apply(self, other)

    def view_as(self, other):
        """This tensor reshaped to ``other``'s shape (torch's ``view_as``)."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def expand_as(self, other):
        return self.expand(other.shape)

    broadcast_to = expand

    def __getitem__(self, index):
        return GetItem.apply(self, unwrap_index(index, self.array))

    def __setitem__(self, index, value):
        if self.requires_grad and GradMode.enabled:
            raise RuntimeError("item assignment on a tensor that requires grad: "
                               "wrap it in chainrule.no_grad() or build a new tensor with where()")
        index = unwrap_index(index, self.array)
        value = value.array if isinstance(value, Tensor) else value
        split = integers_first(index)
        if split is None:
            self.array[index] = value
        else:  # torch's order (see integers_first): x[first] is a view that takes the values
            first, then = split
            self.array[first][then] = value

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self)):
            yield self[i]

    # torch's shape and indexing names (repeat, split, ...)
    def repeat(self, *sizes, repeats=None):
        """This tensor tiled ``repeats[i]`` times along dim i, as ``torch.Tensor.repeat``
        (numpy's ``tile``); extra leading counts add new dims."""
        if not sizes and repeats is None:
            raise TypeError("repeat: give the repeat counts, e.g. x.repeat(2, 1)")
        reps = dims_tuple(sizes) if repeats is None else dims_tuple((repeats,))
        if len(reps) < self.array.ndim:
            raise ShapeError(f"repeat: {len(reps)} repeat count(s) {reps} for a tensor with "
                             f"{self.array.ndim} dims; give at least one count per dim")
        for r in reps:
            if isinstance(r, bool) or not isinstance(r, numbers.Integral) or r < 0:
                raise ValueError(f"repeat: counts must be non-negative integers, got {reps}")
        return Repeat.apply(self, tuple(int(r) for r in reps))

    def narrow(self, dim, start, length):
        """The ``length`` elements from ``start`` along ``dim`` (a negative start counts from
        the end), as ``torch.narrow``; the gradient goes back to that slice."""
        if self.array.ndim == 0:
            raise ShapeError("narrow: a 0-d tensor has no dim to narrow")
        dim = dim_index(dim, self.array.ndim, "narrow")
        size = self.array.shape[dim]
        try:  # start may be a 0-d integer tensor, as in torch
            start, length = operator.index(start), operator.index(length)
        except TypeError:
            raise TypeError(f"narrow: start and length must be integers, got {start!r} and "
                            f"{length!r}") from None
        if not -size <= start <= size:
            raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size "
                             f"{size} (expected {-size} to {size})")
        if length < 0:
            raise ValueError(f"narrow: length must be non-negative, got {length}")
        if start < 0:
            start += size
        if start + length > size:
            raise ValueError(f"narrow: start {start} + length {length} exceeds the size "
                             f"{size} of dim {dim}")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def split(self, split_size, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last one smaller if it does not divide),
        or pieces of the sizes in a list, which must add up to the dim's size
        (``torch.split``). A tuple of tensors, each a slice whose gradient goes back to it."""
        dim = dim_index(dim, self.array.ndim, "split")
        if self.array.ndim == 0:
            raise ShapeError("split: a 0-d tensor has no dim to split")
        size = self.array.shape[dim]
        sizes = split_size
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            step = int(sizes)
            if step < 0 or (step == 0 and size != 0):
                raise ValueError(f"split: split_size must be positive (0 only for a dim of "
                                 f"size 0), got {step} for dim {dim} of size {size}")
            sizes = [min(step, size - s) for s in range(0, size, step)] if size else [0]
        else:
            sizes = list(sizes)
            if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0
                   for n in sizes):
                raise ValueError(f"split: sizes must be non-negative integers, got {sizes}")
            if sum(sizes) != size:
                raise ValueError(f"split: the sizes {sizes} add up to {sum(sizes)}, but dim "
                                 f"{dim} has size {size}")
        pieces, start = [], 0
        for n in sizes:
            pieces.append(self.narrow(dim, start, n))
            start += n
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces along ``dim`` of ceil(size / chunks) elements each, as
        ``torch.chunk``: the last may be smaller, and there may be fewer than ``chunks``."""
        if isinstance(chunks, bool) or not isinstance(chunks, numbers.Integral) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
        d = dim_index(dim, self.array.ndim, "chunk")
        if self.array.ndim == 0:
            raise ShapeError("chunk: a 0-d tensor has no dim to split")
        size = self.array.shape[d]
        if size == 0:  # torch gives `chunks` empty pieces here
            return tuple(self.narrow(d, 0, 0) for _ in range(chunks))
        return self.split(-(-size // chunks), d)

    def flip(self, *args, dims=None):
        """The elements in reverse order along each of ``dims``, as ``torch.flip``
        (``x.flip(0, 1)`` or ``x.flip(dims=(0, 1))``); the gradient is flipped back."""
        if not args and dims is None:
            raise TypeError("flip: give the dims to flip, e.g. x.flip(0) (torch flips none by "
                            "default, not all)")
        dims = dims_tuple(args) if dims is None else dims_tuple((dims,))
        if dims and self.array.ndim == 0:
            raise IndexError(f"flip: a 0-d tensor has no dims, got dims {dims}")
        axes = tuple(dim_index(d, self.array.ndim, "flip") for d in dims)
        if len(set(axes)) != len(axes):
            raise ValueError(f"flip: a dim appears more than once in {dims}")
        return Flip.apply(self, axes)

    def roll(self, shifts, dims=None):
        """The elements shifted cyclically by ``shifts`` along ``dims`` (over the flattened
        tensor when dims is None), as ``torch.roll``; the gradient is rolled back."""
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) for n in shifts):
            raise TypeError(f"roll: shifts must be integers, got {shifts}")
        if dims is None:
            if len(shifts) != 1:
                raise ValueError(f"roll: without dims there must be one shift, got {shifts}")
            flat = self.reshape(-1) if self.array.ndim != 1 else self
            return Roll.apply(flat, (int(shifts[0]),), (0,)).reshape(self.array.shape)
        dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: {len(shifts)} shift(s) {shifts} for {len(dims)} dim(s) "
                             f"{dims}; give one shift per dim")
        if self.array.ndim == 0:
            raise IndexError(f"roll: a 0-d tensor has no dims, got dims {dims}")
        axes = tuple(dim_index(d, self.array.ndim, "roll") for d in dims)
        return Roll.apply(self, tuple(int(n) for n in shifts), axes)

    @staticmethod
    def _index_array(index, op):
        """An index tensor's array, checked to be of torch's integer dtypes."""
        if not isinstance(index, (Tensor, np.ndarray)) and not hasattr(
                index, "__cuda_array_interface__"):
            raise TypeError(f"{op}: index must be a tensor, not {type(index).__name__}")
        index = index.array if isinstance(index, Tensor) else index
        if index.dtype not in (np.int64, np.int32):
            raise TypeError(f"{op}: index must be an int64 (or int32) tensor, got "
                            f"{index.dtype}")
        return index

    def gather(self, dim, index, *, sparse_grad=False):
        """out[i][j] = self[index[i][j]][j] for dim 0 (and likewise for any dim), as
        ``torch.gather``: ``index`` has this tensor's number of dims and is no larger
        than it outside ``dim``; the output has the index's shape."""
        if sparse_grad:
            raise NotImplementedError("gather: chainrule has no sparse tensors, so no "
                                      "sparse_grad; the gradient is dense")
        index = self._index_array(index, "gather")
        ndim = self.array.ndim
        dim = dim_index(dim, ndim, "gather")
        if index.ndim != ndim and not (ndim + index.ndim == 1 and index.size == 1):
            raise ShapeError(f"gather: the index has {index.ndim} dims but the tensor has "
                             f"{ndim}; they must have the same number")
        if ndim == 0 or index.ndim == 0:  # as torch: a 0-d tensor or index counts as 1-d
            return self.reshape(-1).gather(0, index.reshape(1)).reshape(index.shape)
        for d, (m, n) in enumerate(zip(index.shape, self.array.shape)):
            if d != dim and m > n:
                raise ShapeError(f"gather: the index of shape {tuple(index.shape)} is larger "
                                 f"than the tensor of shape {tuple(self.array.shape)} at dim {d}")
        bad = (index < 0) | (index >= self.array.shape[dim])
        if on_host(index) and bad.any():  # on a GPU reading it back would wait (backend.on_host)
            raise IndexError(f"gather: index {index[bad][0]} is out of range for dim {dim} "
                             f"of size {self.array.shape[dim]}")
        return Gather.apply(self, index, dim)

    def index_select(self, dim, index):
        """The slices of this tensor at the positions ``index`` (a 1-d integer tensor) along
        ``dim``, as ``torch.index_select``; repeated positions add up their gradients."""
        index = self._index_array(index, "index_select")
        dim = dim_index(dim, self.array.ndim, "index_select")
        if index.ndim > 1:
            raise ShapeError(f"index_select: the index must be a vector, got shape "
                             f"{tuple(index.shape)}")
        if self.array.ndim == 0:
            if index.size != 1:
                raise ShapeError(f"index_select: a 0-d tensor takes one index, got "
                                 f"{index.size}")
            return self.reshape(1).index_select(0, index.reshape(1)).reshape(())
        size = self.array.shape[dim]
        bad = (index < 0) | (index >= size)
        if on_host(index) and bad.any():  # on a GPU reading it back would wait (backend.on_host)
            raise IndexError(f"index_select: index {index[bad][0]} is out of range for dim "
                             f"{dim} of size {size}")
        return IndexSelect.apply(self, index.reshape(-1), dim)

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple of tensors with that dim removed
        (torch.unbind); each slice's gradient goes back to its place."""
        if self.array.ndim == 0:
            raise ShapeError("unbind: a 0-d tensor has no dim to unbind")
        dim = dim_index(dim, self.array.ndim, "unbind")
        lead = (slice(None),) * dim
        return tuple(self[lead + (i,)] for i in range(self.array.shape[dim]))

    def contiguous(self, memory_format=None):
        """The tensor itself, as torch returns an already contiguous tensor: chainrule has no
        strided views that would need a copy first."""
        return self

    @property
    def mT(self):  # noqa: N802 - torch's name
        """The last two dims swapped: the transpose of each matrix in a batch, as torch."""
        if self.array.ndim < 2:
            raise ShapeError(f"mT: needs a matrix or a batch of matrices, got a "
                             f"{self.array.ndim}-d tensor")
        axes = list(range(self.array.ndim))
        axes[-2], axes[-1] = axes[-1], axes[-2]
        return Permute.apply(self, tuple(axes))

    def outer(self, vec2):
        """The outer product of two vectors, out[i][j] = self[i]·vec2[j] (torch.outer), as a
        broadcast product; each gradient is the sum of g times the other vector."""
        check_ndim("outer", 1, self, vec2)
        return Mul.apply(self.reshape(-1, 1), vec2.reshape(1, -1))

    def bmm(self, mat2):
        """Batched matrix product of (b, n, m) and (b, m, p) tensors (torch.bmm): one matrix
        product per batch entry, with no broadcasting and the same dtype on both sides."""
        check_ndim("bmm", 3, self, mat2)
        a, b = self.array, mat2.array if isinstance(mat2, Tensor) else np.asarray(mat2)
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise ShapeError(f"bmm: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit: "
                             "the batch sizes must be equal and the inner sizes too")
        if a.dtype != b.dtype:
            raise TypeError(f"bmm: both tensors must have the same dtype, got {a.dtype} and "
                            f"{b.dtype}")
        return MatMul.apply(self, mat2)

    def type_as(self, tensor):
        """This tensor in ``tensor``'s dtype, as ``self.to(tensor.dtype)``."""
        return self.to(tensor.dtype)

    def _new(self, op, data, dtype, device, requires_grad):
        """A new leaf holding ``data`` (host numbers) as ``dtype`` (this tensor's dtype by
        default), on ``device`` (this tensor's by default), as torch's ``new_*``."""
        data = np.asarray(data, dtype=self.array.dtype if dtype is None else dtype)
        return Tensor(place(data, self.device if device is None else device),
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype (unless ``dtype`` says otherwise)."""
        from .functional import _shape

        return self._new("new_zeros", np.zeros(_shape(size, "new_zeros")), dtype, device,
                         requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype (unless ``dtype`` says otherwise)."""
        from .functional import _shape

        return self._new("new_ones", np.ones(_shape(size, "new_ones")), dtype, device,
                         requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """``fill_value`` everywhere in a tensor of ``size`` (a tuple), with this tensor's dtype
        unless ``dtype`` says otherwise (the value is converted to it, as in torch)."""
        from .functional import _shape

        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full: size must be a tuple of ints, got {size!r}")
        shape = _shape((tuple(size),), "new_full")
        full = np.full(shape, fill_value, dtype=self.array.dtype if dtype is None else dtype)
        return self._new("new_full", full, dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new leaf holding a copy of ``data``, with this tensor's dtype unless ``dtype``
        says otherwise (so ``x.new_tensor([1, 2])`` of a float tensor is float)."""
        data = to_host(_as_array(data, self.array.dtype if dtype is None else dtype, copy=True))
        return self._new("new_tensor", data, dtype, device, requires_grad)


class MaxResult(tuple):
    """``(values, indices)`` from ``max(dim=...)``, ``min``, ``sort`` and ``topk``, with torch's
    attribute names."""

    __slots__ = ()

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def bind_methods(cls):
    """Make every method of ``TensorMethods`` (its own and those it inherits, ``float()`` …) a
    method of ``cls`` (Tensor)."""
    for klass in reversed(TensorMethods.__mro__[:-1]):  # a base first: TensorMethods overrides
        for name, value in vars(klass).items():
            if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
                setattr(cls, name, value)


bind_methods(Tensor)
