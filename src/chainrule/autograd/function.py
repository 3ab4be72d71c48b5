"""``Function``: one differentiable op, a node of the computational graph.

A Function is a "gate" from the notes: ``forward`` computes the output from the inputs, and
``backward`` gets the *upstream* gradient dL/d(output) and returns, for each input, the *local*
gradient times the upstream one (the chain rule). The two sit side by side in one small class::

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad          # local gradient 2x times upstream gradient

    y = Square.apply(t)

As in ``torch.autograd.Function`` the ctx is the node itself. Unlike torch, ``forward`` and
``backward`` receive and return raw arrays (NumPy today): inside a gate you do plain array math, and
no graph is recorded there.

Every op follows one convention:

- ``backward`` returns one entry per positional input of ``forward``, in order (a tuple, or the
  bare gradient when there is one input); ``None`` for a setting (an axis, a slope, a number)
  and for an input nobody needs.
- Non-tensor arguments pass through to ``forward`` unchanged and get no gradient (the node keeps
  them as ``constants``).
- ``ctx.needs_grad(i)`` says whether input ``i`` wants a gradient: test it to skip the work.
- The arrays ``backward`` needs go through ``ctx.save_for_backward(...)`` (freed after backward);
  settings it needs may be ctx attributes (``ctx.axis = axis``).
- Gradients of broadcast inputs may keep the broadcast shape: the engine sums them back to each
  input's shape in one place.
- The class line declares what tools need to know about the op (``elementwise``,
  ``moves_elements``, ``number_operands``, ``infix``, explained below): trace and viz read them
  there. A test checks that every op of the library declares all four.
"""

import weakref

import numpy as np

from ..devices import device_of
from ..dtypes import DefaultDtype
from ..errors import ShapeError
from ..tensor import Tensor
from .anomaly import AnomalyMode, check_finite
from .capturing import recorders as _recorders
from .grad_mode import GradMode

_ndarray = np.ndarray
_float64 = np.dtype(np.float64)
DECLARATIONS = ("elementwise", "moves_elements", "number_operands", "infix")


class Function:
    """Base class of every op. Subclass it, write ``forward`` and ``backward``, call ``apply``."""

    # _constants is a slot, not in __dict__, so it outlives release(): trace and viz show a
    # graph's constants after backward. It is set only by ops called with a non-tensor.
    __slots__ = ("inputs", "_saved", "_output_ref", "_constants", "__dict__", "__weakref__")
    # Defaults read from the class until a node sets its own (release, retain_grad): one fewer
    # store per op on the hot path.
    _retain_output_grad = False
    # Integers combined with Python floats give float32 (torch's default), not NumPy's float64;
    # an op whose job is to choose the dtype (Cast) turns this off.
    float32_by_default = True

    # -- what tools (trace, viz) know about an op, declared on its class line --------------------
    # class Add(Function, elementwise=True, moves_elements=False, number_operands=True, infix="+")
    #
    # elementwise: every input element reaches exactly one output element, so backward on an
    #   upstream of ones gives d(output)/d(input) element by element (Add, Tanh, Sum; not MatMul).
    # moves_elements: an elementwise op that moves, selects or reduces elements (Sum, Reshape):
    #   its upstream gradient is laid out like the output, its local gradient like the input.
    # number_operands: its non-tensor arguments are operands (the 1 of x + 1), not settings.
    # infix: its symbol between two operands in a written-out expression ("+"), or None.
    elementwise = False
    moves_elements = False
    number_operands = False
    infix = None
    declared = frozenset()  # which of the four the class (or an op it extends) declared

    def __init_subclass__(cls, **declarations):
        unknown = set(declarations) - set(DECLARATIONS)
        if unknown:
            raise TypeError(f"{cls.__name__}: an op declares {', '.join(DECLARATIONS)}; "
                            f"not {', '.join(sorted(unknown))}")
        super().__init_subclass__()
        for name, value in declarations.items():
            setattr(cls, name, value)
        cls.declared = cls.declared | frozenset(declarations)

    # -- the two methods an op writes -------------------------------------------------------
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    # -- running an op ----------------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (or numbers/arrays) and record it in the graph if needed.

        Three steps, as DeZero's ``Function.__call__``: take the arrays out of the inputs, run
        ``forward`` on them, wrap the output in a Tensor and, when a gradient will be needed,
        link it to this node (the node remembers its inputs, the output its node).
        """
        ctx = _new(cls)
        # 1. the arrays inside the inputs (inlined: a call here costs ~0.1 µs of a ~1.5 µs op,
        #    benchmarks/compare_trees.py, "add")
        arrays = []
        inputs = []
        needs_grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.array)
                inputs.append(a)
                needs_grad = needs_grad or a.requires_grad
            else:
                # a NumPy scalar (np.sqrt(2.0)) counts as a Python number, as a 0-d tensor
                # does in torch: it must not promote a float32 tensor to float64
                arrays.append(a.item() if isinstance(a, np.generic) else a)
                inputs.append(None)
                ctx._constants = args  # the call as given: nothing for tensor-only ops
        # 2. forward on raw arrays
        out = _run_forward(ctx, arrays, kwargs)
        # 3. the output as a Tensor, linked to this node when a gradient will be needed
        if not (needs_grad and GradMode.enabled):
            result = _make(out)
        else:
            result = _make(out, True, ctx)
            ctx.inputs = tuple(inputs)
            ctx._output_ref = weakref.ref(result)  # weak: the graph dies with its tensors
        if _recorders:  # chainrule.compile is capturing a step (autograd/capturing.py)
            _recorders[-1](cls, args, kwargs, result)
        return result

    # -- the ctx API used inside forward/backward -------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep the arrays ``backward`` needs; they are freed after backward (unless retained)."""
        self._saved = arrays

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                f"{self.name}: its saved values were freed by an earlier backward(); "
                "call backward(retain_graph=True) the first time to backward twice"
            )
        return saved

    @property
    def _freed(self):
        """True once ``release`` ran: backward through this node again is an error."""
        return self._saved is None

    def needs_grad(self, i):
        """Does input ``i`` want a gradient? Lets backward skip work nobody will read."""
        t = self.inputs[i]
        return t is not None and t.requires_grad

    @property
    def needs_input_grad(self):
        """One flag per positional input: does that input want a gradient?"""
        return tuple(t is not None and t.requires_grad for t in self.inputs)

    # -- introspection (used by trace, viz and learners walking the graph) ------------------
    @property
    def name(self) -> str:
        """The op's readable name, e.g. ``Add`` or ``MatMul``."""
        return type(self).__name__

    @property
    def output(self):
        """The tensor this node made, or None once that tensor is gone."""
        return self._output_ref()

    @property
    def saved_values(self):
        """What the node keeps for backward: saved arrays and any attributes it set on ctx."""
        if self._freed:
            return {}
        values = {f"saved_{i}": a for i, a in enumerate(self._saved)}
        values.update(self.__dict__)
        return values

    @property
    def constants(self):
        """``{position: value}`` of the non-tensor positional arguments, as they were passed:
        ``{1: 1}`` for ``x + 1``. Kept after backward, so trace and viz need not guess them."""
        try:
            args = self._constants
        except AttributeError:  # called with tensors only
            return {}
        return {i: a for i, a in enumerate(args) if not isinstance(a, Tensor)}

    @property
    def next_functions(self):
        """The nodes that made this node's inputs (None for leaves and constants)."""
        return tuple(None if t is None else t.grad_fn for t in self.inputs)

    def release(self):
        """Free what backward needed; the graph's shape stays so a second backward can say why."""
        self._saved = None
        self.__dict__.clear()

    def __repr__(self):
        return f"<{self.name} node>"


# -- a step of apply ----------------------------------------------------------------------------
def _run_forward(ctx, arrays, kwargs):
    """``forward`` on the arrays; a NumPy shape error names the op, the output keeps torch's
    float32 rule, and anomaly mode checks it."""
    cls = type(ctx)
    ctx._saved = ()
    try:
        out = cls.forward(ctx, *arrays, **kwargs)
    except ValueError as e:
        if isinstance(e, ShapeError):
            raise
        shapes = ", ".join(str(tuple(a.shape)) for a in arrays if hasattr(a, "shape"))
        raise ShapeError(f"{cls.__name__} cannot take inputs of shapes {shapes}: {e}") from None
    except TypeError:
        _check_one_device(cls.__name__, arrays)  # CuPy refuses NumPy arrays: say which is where
        raise
    if type(out) is not _ndarray:
        out = np.asarray(out) if not hasattr(out, "__cuda_array_interface__") else out
    if out.dtype is _float64 and cls.float32_by_default:
        out = _as_torch_float(out, arrays)
    if AnomalyMode.enabled:
        check_finite(out, cls.__name__, "forward")
    return out


def _check_one_device(op, arrays):
    """torch's error for inputs on two devices, named, instead of CuPy's TypeError."""
    places = []
    for a in arrays:
        if hasattr(a, "shape"):
            place = device_of(a)
            if place not in places:
                places.append(place)
    if len(places) > 1:
        raise RuntimeError(f"{op}: expected all tensors to be on the same device, but found "
                           f"{' and '.join(str(p) for p in places)}: move them with .to(device)")


def _as_torch_float(out, arrays):
    """``out`` is float64: keep it only where torch would make float64.

    NumPy makes float64 from integers and Python floats, where torch makes its default dtype
    (float32 unless ``set_default_dtype`` made it float64).
    And a float64 tensor without dims counts, in torch, like a number: it does not widen a float
    tensor that has dims (float32 · 0-d float64 is float32). So float64 comes only from float64
    data with dims, or from 0-d float64 data when no input with dims is floating.
    """
    dims_floats = []
    zero_d_float64 = False
    for a in arrays:
        dtype = getattr(a, "dtype", None)
        if dtype is None or dtype.kind != "f":
            continue
        if a.ndim == 0:
            zero_d_float64 = zero_d_float64 or dtype is _float64
        elif dtype is _float64:
            return out
        else:
            dims_floats.append(dtype)
    if dims_floats:
        return out.astype(np.result_type(*dims_floats))
    if zero_d_float64 or DefaultDtype.dtype == np.float64:  # Python floats are the default
        return out
    return out.astype(np.float32)


_new = object.__new__
_make = Tensor._make
