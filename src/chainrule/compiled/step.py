"""``chainrule.compile(model, loss_fn, optimizer)``: the compiled training step users call.

The first call with a batch of a new shape captures the step (``capture.py``); every call runs
the captured program (``replay.py``) and steps the optimizer (``update.py``). The programs are
kept by shape, so the last, smaller batch of an epoch is captured once, not once per epoch.
"""

import numpy as np

from ..optim import Optimizer
from ..optim.foreach import _lay_end_to_end, _shared_span, _unheld
from ..tensor import Tensor
from . import buffered, fused
from .capture import capture
from .replay import Replay
from .update import FlatLayout, step_optimizer

BACKENDS = ("auto", "numba", "numpy")


def compile(model, loss_fn, optimizer, *, backend="auto"):  # noqa: A001 - torch.compile's name
    """One training step of ``model`` with ``loss_fn`` and ``optimizer``, captured and replayed.

    ``step = chainrule.compile(model, loss_fn, optimizer)`` then ``loss = step(x, y)`` does what
    ``optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()``
    does, to float32 rounding, without building a graph (``docs/architecture.md``, "The
    compiled step"). ``backend``: ``"numba"`` runs the whole step as one generated numba
    function where every op and the optimizer have one (``whole_step.py``; ``step.source(x,
    y)`` prints it; the first such step compiles it, 2-10 s), else replays the ops with
    elementwise ops and the optimizer update fused (Adam, AdamW and SGD; the other optimizers
    step with their own update on flat buffers); ``"numpy"`` replays the eager ops only;
    ``"auto"`` takes numba when it is installed.

    What it refuses, by name (``CaptureError``): a step that reads a tensor's value into Python
    (data-dependent control flow), an op whose class says it cannot be replayed (batch norm) or
    one defined outside chainrule without ``capturable = True``, a tensor needing a gradient
    the optimizer does not hold.
    """
    return CompiledStep(model, loss_fn, optimizer, backend=backend)


class CompiledStep:
    """A training step captured once per input shape; call it with a batch ``(x, y)``."""

    MAX_PROGRAMS = 8  # shapes kept; a loop over ever new shapes should not hoard memory

    def __init__(self, model, loss_fn, optimizer, *, backend="auto"):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"chainrule.compile: optimizer must be a chainrule Optimizer, got "
                            f"{type(optimizer).__name__}")
        if not callable(model) or not callable(loss_fn):
            raise TypeError("chainrule.compile: model and loss_fn must be callable")
        if backend not in BACKENDS:
            raise ValueError(f"chainrule.compile: backend must be one of {BACKENDS}, got "
                             f"{backend!r}")
        if backend == "numba" and not fused.available():
            raise ImportError('chainrule.compile(backend="numba") needs numba: pip install '
                              '"chainrule[fast]" (or backend="numpy")')
        if backend == "auto":
            backend = "numba" if fused.available() else "numpy"
        self.model, self.loss_fn, self.optimizer, self.backend = model, loss_fn, optimizer, backend
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self._kernels = fused.KERNELS if backend == "numba" else buffered.KERNELS
        self._updates = fused.UPDATES if backend == "numba" else {}
        self.programs = {}
        self.output = None  # the model's output of the last step (its buffer is reused)
        self.layout = None  # update.FlatLayout once the optimizer's state exists
        self._layout_failed = False  # built once in vain: the optimizer stays on its own path
        self.captures = 0  # how many times a step was captured (tests and curious users)
        self.wholes = {}  # shape key -> whole_step.WholeStep, or None: the replay runs that shape
        self.kernel_steps = 0  # steps run as one generated numba function (whole_step.py)
        for group in optimizer.param_groups:
            _lay_flat(group["params"])

    def __call__(self, x, y, *, skip_nonfinite=False):
        """One step on the batch ``(x, y)``; returns the loss (a Tensor that needs no grad).

        ``skip_nonfinite``: when the loss is NaN or infinite, leave the weights, the optimizer
        and ``p.grad`` as they were (``fit`` stops there, as it does before an eager update).
        ``self.output`` is then the model's output for this batch, until the next call.
        """
        x, y = _as_tensor(x, "x"), _as_tensor(y, "y")
        xa, ya = x.array, y.array
        key = (xa.shape, xa.dtype, ya.shape, ya.dtype, getattr(self.model, "training", None))
        replay = self.programs.get(key)
        if replay is None:
            replay = self._capture(x, y, key)
        params = self.params
        layout = self.layout
        if layout is not None and not layout.valid():
            layout = self.layout = None
            self.wholes = {}
            self._layout_failed = False  # try once more after this step
            for replay_ in self.programs.values():
                replay_.write_grads_into([None] * len(params))
        if layout is not None and self.backend == "numba":
            whole = self._whole_step(key, replay, layout, xa, ya)
            loss = None if whole is None else whole.run(xa, ya, skip_nonfinite)
            if loss is not None:
                self.kernel_steps += 1
                self.output = None if whole.output is None else Tensor._make(whole.output)
                return Tensor._make(loss)
            self.wholes[key] = None  # the options changed: the replay from now on
        loss, grads = replay.run(xa, ya, [p.array for p in params], skip_nonfinite)
        out = replay.output
        self.output = None if out is None else Tensor._make(replay.values[out])
        if grads is None:  # skip_nonfinite and a NaN or infinite loss: no backward, no update
            return Tensor._make(loss)
        if layout is not None and all(g is not None for g in grads):
            layout.step(grads, self._updates)
        else:
            self._generic_update(grads)
        return Tensor._make(loss)

    def _whole_step(self, key, replay, layout, xa, ya):
        """The one-kernel step for this shape (``whole_step.py``), or None: the replay."""
        if key in self.wholes:
            return self.wholes[key]
        from . import whole_step

        whole = None
        try:
            plan = whole_step.plan(replay.program, self.params, self.optimizer, xa,
                                   ya.dtype)
        except whole_step.Unsupported:
            plan = None
        if plan is not None:
            whole = whole_step.WholeStep.build(plan, layout, self.optimizer, self.params)
        self.wholes[key] = whole
        return whole

    def source(self, x, y):
        """The source of the one numba function that runs a step on batches shaped as
        ``(x, y)`` (``whole_step.py``), or a line saying why such a step runs op by op.
        Captures the step for that shape if it was not yet (the model runs once, no update)."""
        x, y = _as_tensor(x, "x"), _as_tensor(y, "y")
        xa, ya = x.array, y.array
        key = (xa.shape, xa.dtype, ya.shape, ya.dtype, getattr(self.model, "training", None))
        replay = self.programs.get(key) or self._capture(x, y, key)
        if self.backend != "numba":
            return "# backend='numpy': this step is replayed op by op (replay.py)"
        from . import whole_step

        try:
            return whole_step.plan(replay.program, self.params, self.optimizer, xa,
                                   ya.dtype).source
        except whole_step.Unsupported as why:
            return f"# this step is replayed op by op (replay.py): {why}"

    def _generic_update(self, grads):
        """The optimizer's step through ``p.grad``, and the flat layout built if it can be."""
        make = Tensor._make
        for p, g in zip(self.params, grads):
            p.grad = None if g is None else make(g)
        step_optimizer(self.optimizer, self._updates)
        if not self._layout_failed and all(g is not None for g in grads):
            self.layout = FlatLayout.build(self.optimizer)
            self._layout_failed = self.layout is None
            self.wholes = {}
            if self.layout is not None:
                for replay in self.programs.values():
                    replay.write_grads_into(self.layout.views)

    def _capture(self, x, y, key):
        program = capture(self.model, self.loss_fn, self.params, x, y, key)
        if len(self.programs) >= self.MAX_PROGRAMS:
            oldest = next(iter(self.programs))
            del self.programs[oldest]
            self.wholes.pop(oldest, None)
        replay = self.programs[key] = Replay(program, self._kernels)
        if self.layout is not None:
            replay.write_grads_into(self.layout.views)
        self.captures += 1
        return replay


def _as_tensor(value, name):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"chainrule.compile: the step takes {name} as a Tensor or a NumPy array, "
                    f"got {type(value).__name__}")


def _lay_flat(params):
    """Lay a group's parameters end to end in one array now, when nobody else holds them, so the
    optimizer's flat path updates them in place instead of copying them in and out each step."""
    arrays = [p.array for p in params]
    if len(params) < 2 or _shared_span(arrays) is not None:
        return
    del arrays
    if len({p.array.dtype for p in params}) == 1 and all(map(_unheld, params)):
        _lay_end_to_end(params)
