"""``Tensor``: an array that remembers how it was computed.

A tensor holds its numbers in ``.array`` (a NumPy array). If it requires a gradient, every op on it
records a node (``.grad_fn``) that links the result to its inputs: that chain of nodes is the
computational graph, and ``backward()`` walks it from the loss to the leaves, filling ``.grad``.

Dtypes follow torch: Python floats become the default dtype (float32 unless
``set_default_dtype`` says float64), Python ints int64, NumPy arrays keep theirs.

This module holds the Tensor itself: construction, properties, ``backward``, ``detach``,
conversions, the in-place rule and ``repr``. The operations on it (``x + y``, ``x.sum()`` …) are
bound in one place, ``tensor_methods.py``.
"""

import numpy as np

from .autograd.capturing import value_read
from .autograd.engine import run_backward
from .autograd.grad_mode import GradMode
from .backend import get_array_module
from .devices import device_of, place, to_host
from .dtypes import DefaultDtype, Size
from .errors import ShapeError
from .torch_args import dim_index

_new = object.__new__


def _as_array(data, dtype=None, copy=False):
    """Turn ``data`` into an array with torch's dtype rules for Python numbers and lists."""
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
        arr = data
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype)
    try:
        arr = np.array(data, dtype=dtype)
    except ValueError as e:
        raise ValueError(f"cannot make a tensor from this {type(data).__name__}: nested lists "
                         f"must be rectangular and hold numbers ({e})") from None
    if dtype is None and arr.dtype == np.float64 and DefaultDtype.dtype != np.float64:
        arr = arr.astype(DefaultDtype.dtype)  # Python floats take torch's default dtype
    elif arr.dtype.kind in "OUSV":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} {data!r:.60}: "
                        "tensors hold numbers or booleans")
    return arr


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data`` (a number, nested list, array or tensor),
    on ``device`` ("cpu", "cuda", "cuda:0" …; by default where ``data`` is)."""
    array = _as_array(data, dtype, copy=device is None)
    return Tensor(place(array, device), requires_grad=requires_grad)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation."""

    __slots__ = ("array", "grad", "requires_grad", "grad_fn", "_retains_grad", "__weakref__")
    __array_priority__ = 100  # so ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        self.array = _as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)


    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None):
        """The one internal constructor: wrap an array the library computed (an op's output, a
        gradient), with none of ``__init__``'s checks and conversions."""
        t = _new(Tensor)
        t.array = data
        t.grad = None
        t.grad_fn = grad_fn
        t.requires_grad = requires_grad
        t._retains_grad = False
        return t

    def __getattr__(self, name):
        """Only for a name the class does not have: a torch method chainrule does not cover
        gets one line saying so (``x.diag()``), not a "Did you mean" guess."""
        if name.startswith("_"):
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")
        from .errors import missing_name

        raise missing_name("Tensor", name)

    # -- what it is -------------------------------------------------------------------------
    @property
    def data(self):
        """The same numbers as a new tensor outside the graph, sharing memory, as torch's
        ``.data``: ``m.weight.data.normal_(0, 0.01)`` changes the weight without recording a
        step. (The NumPy array itself is ``.array``.)"""
        return Tensor._make(self.array)

    @data.setter
    def data(self, value):
        """``p.data = t`` swaps in new numbers (any shape), keeping the tensor's place in a
        model and an optimizer, as in torch."""
        self.array = value.array if isinstance(value, Tensor) else _as_array(value)

    @property
    def shape(self):
        return Size(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        """Where the numbers live: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""
        return device_of(self.array)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def size(self, dim=None):
        if dim is None:
            return Size(self.array.shape)
        if self.array.ndim == 0:
            raise IndexError(f"size: dim {dim} is out of range for a tensor with 0 dimension(s) "
                             "(it has no dims)")
        return self.array.shape[dim_index(dim, self.array.ndim, "size")]

    def dim(self):
        return self.array.ndim

    def numel(self):
        return self.array.size

    @property
    def is_leaf(self):
        """Made by the user (or not requiring grad), not by an op: ``.grad`` is filled here."""
        return self.grad_fn is None

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __repr__(self):
        host = to_host(self.array)  # printing is one of the places numbers leave a GPU
        body = np.array2string(host, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if host is not self.array:
            extras.append(f"device='{self.device}'")
        if self.array.dtype not in (DefaultDtype.dtype, np.int64, np.bool_):  # as torch
            extras.append(f"dtype={self.array.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- leaving the graph --------------------------------------------------------------------
    def numpy(self):
        """The underlying array (shared, not copied), as ``torch.Tensor.numpy``."""
        value_read("Tensor.numpy()")
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad: call .detach().numpy()")
        self._check_on_host("numpy()")
        return self.array

    def _check_on_host(self, what):
        if self.device.type != "cpu":
            raise TypeError(f"{what}: can't convert a {self.device} tensor to a NumPy array: "
                            "use .cpu() to copy it to host memory first")

    def item(self):
        value_read("Tensor.item()")
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape "
                             f"{tuple(self.array.shape)}")
        return self.array.item()

    def tolist(self):
        value_read("Tensor.tolist()")
        return self.array.tolist()

    def __format__(self, spec):
        """A 0-d tensor formats as its number, so ``f"{loss:.4f}"`` works as in torch."""
        if self.array.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __float__(self):
        value_read("float(tensor)")
        return float(self.item())

    def __int__(self):
        value_read("int(tensor)")
        return int(self.item())

    def __index__(self):
        """An integer tensor of one element indexes a list or sizes a range, as in torch."""
        value_read("Tensor.__index__")
        if self.array.dtype.kind not in "biu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index, this one is {self.array.dtype} of shape {self.array.shape}")
        return int(self.array.item())

    def __bool__(self):
        value_read("Tensor.__bool__ (an if or while on a tensor)")
        if self.array.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {tuple(self.array.shape)} "
                             f"({self.array.size} elements) is ambiguous: use .any() or .all()")
        return bool(self.array)

    def __array__(self, dtype=None, copy=None):
        """NumPy's view of the tensor: shared for ``np.asarray``, a copy for ``np.array``
        (NumPy 2 asks with ``copy=True`` and trusts the answer), as with torch."""
        value_read("np.asarray(tensor)")
        self._check_on_host("np.asarray")
        array = self.array if dtype is None else self.array.astype(dtype, copy=False)
        return array.copy() if copy and array is self.array else array

    def detach(self):
        """The same numbers, cut from the graph (shares memory, requires no grad)."""
        return Tensor(self.array)

    # -- gradients ----------------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating point tensors can require gradients, this one is {self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf: use detach() instead")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this intermediate tensor too (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            self._retains_grad = True
            self.grad_fn._retain_output_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Fill ``.grad`` of every leaf this tensor depends on with d(self)/d(leaf).

        For a scalar (a loss) ``gradient`` defaults to 1. For anything else pass dL/d(self).
        First order only: ``create_graph=True`` (gradients of gradients) is refused.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): chainrule computes first-"
                                      "order gradients only (no gradients of gradients)")
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input it was computed "
                "from has requires_grad=True (or it was computed inside no_grad)"
            )
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"backward() needs a gradient argument for a tensor of shape "
                    f"{tuple(self.shape)}: only a scalar's gradient defaults to 1"
                )
            # dL/dL = 1 (ones: NumPy's full is a Python-level wrapper, ~1 µs more per step)
            grad = get_array_module(self.array).ones(self.array.shape, self.array.dtype)
        else:
            grad = _as_array(gradient, self.array.dtype)
            if device_of(grad) != self.device:
                raise RuntimeError(f"backward(): the gradient is on {device_of(grad)}, the "
                                   f"tensor on {self.device}: put them on the same device")
            if grad.shape != self.array.shape:
                from .errors import ShapeError

                raise ShapeError(f"backward(): gradient of shape {tuple(grad.shape)} does not "
                                 f"match the tensor's shape {tuple(self.shape)}")
        if self.grad_fn is None:
            self.grad = Tensor(grad.copy()) if self.grad is None else Tensor(self.grad.array + grad)
            return
        run_backward(self, grad, retain_graph=retain_graph)

    def zero_(self):
        if self.requires_grad and GradMode.enabled:  # as the other in-place changes
            raise RuntimeError("zero_() of a tensor that requires grad: wrap it in "
                               "chainrule.no_grad()")
        self.array[...] = 0
        return self

    def long(self):
        return Tensor(self.array.astype(np.int64))

    def int(self):
        return Tensor(self.array.astype(np.int32))

    def bool(self):
        return Tensor(self.array.astype(bool))

    # In-place arithmetic works on leaves that need no gradient (e.g. optimizer bookkeeping).
    def _check_inplace(self, symbol, *others):
        """The rule for every in-place change: not on a tensor that requires grad (a leaf or an
        op's output) while the graph is recorded, as its old values may be saved for backward;
        nor from a tensor that requires grad, whose gradient would be lost without a word."""
        if not GradMode.enabled:
            return
        if self.requires_grad:
            raise RuntimeError(f"{symbol}: in-place change of a tensor that requires grad: wrap "
                               "it in chainrule.no_grad()")
        if any(isinstance(o, Tensor) and o.requires_grad for o in others):
            raise RuntimeError(f"{symbol}: an operand requires grad, and an in-place change "
                               "records no graph: build a new tensor (out of place) to get its "
                               "gradient, or wrap it in chainrule.no_grad() to use its values")

    def _inplace(self, op, symbol, *others, instead=None):
        """``op(self, *others)`` written into self. ``instead`` is the out-of-place spelling
        the dtype error suggests (by default ``x = x + y`` for ``+=``)."""
        self._check_inplace(symbol, *others)
        others = [o.array if isinstance(o, Tensor) else o for o in others]
        try:
            op(self.array, *others, out=self.array, casting="same_kind")
        except TypeError as e:  # as torch, the result must keep the tensor's dtype
            instead = instead or f"x = x {symbol[0]} y"
            raise TypeError(f"{symbol}: the result cannot be stored in this {self.array.dtype} "
                            f"tensor ({e}); write {instead} for a new tensor") from None
        except ValueError:  # ... and its shape
            shapes = " and ".join(str(tuple(getattr(o, "shape", ())))
                                  for o in (self.array, *others))
            raise ShapeError(f"{symbol}: the result of shapes {shapes} does not fit in this "
                             f"tensor of shape {tuple(self.array.shape)}") from None
        return self

    def is_floating_point(self):
        """Is the dtype a floating-point one (float16, float32, float64)? As torch."""
        return self.array.dtype.kind == "f"


    def detach_(self):
        """Cut this tensor from the graph in place: it becomes a leaf that requires no
        gradient, as torch's ``detach_`` (truncated backprop through time: ``h.detach_()``
        after ``loss.backward()``).

        The engine follows each input's ``grad_fn`` when backward runs, so cutting a tensor
        whose graph is still live would also cut results computed from it earlier, which
        torch keeps. That case is refused: use ``x = x.detach()`` there.
        """
        node = self.grad_fn
        if node is not None and not node._freed:
            raise RuntimeError(
                "detach_: this tensor's graph has not been through backward yet, and results "
                "computed from it earlier would lose their gradient here; use x = x.detach() "
                "(a new tensor) instead, or call detach_ after backward()")
        self.grad_fn = None
        self.requires_grad = False
        self._retains_grad = False
        return self
