"""The whole training step as ONE generated numba function: forward, loss, backward, update.

A replay (``replay.py``) still calls Python once per op: on a small model those calls, not the
arithmetic, are the step (``benchmarks/compiled_step.py --profile``). For a captured ``Program``
made only of ops ``kernel_ops.py`` has (Linear on a matrix, ReLU, Tanh, Sigmoid, then MSE,
BCEWithLogits or CrossEntropy with reduction "mean" or "sum"), each value used by one op, float32
or float64, and an optimizer with a fused loop (Adam, AdamW, SGD and its momentum/Nesterov kin:
``fused.py``) over one parameter group, this module writes the source of one function that
runs the step, one line per op, named after the op (``CompiledStep.source`` prints it), and has
numba compile it. The function gets a handful of arrays: the batch, the optimizer's flat
parameter, gradient and state arrays (``update.FlatLayout``), one arena holding every activation
and its gradient, and the step's scalars (Adam's bias corrections...). Anything else is not
refused: the step keeps to the op-by-op replay, which stays as it was.

numba compiles a generated function on its first call, which the first kernel step pays (as
jax.jit's first call does): 1.9-2.5 s for W1 and W2 (3 layers), 9-10 s for W3 (21 layers) on
this shared machine under load (``WholeStep.compile_seconds``; ``kernel_ops``' own functions
are cached on disk). Compiled functions are kept in this process by their source, which names
the batch's size n rather than its value and says everything else they depend on but dtypes:
a second ``chainrule.compile`` of a model of the same shape, a recapture, or the last smaller
batch does not compile again.
"""

import functools
import math
import time

import numpy as np

from ..ops import activation, linear, loss
from ..optim.adam import adam_update
from ..optim.sgd import sgd_update

ACTIVATIONS = {activation.ReLU: "relu", activation.Tanh: "tanh", activation.Sigmoid: "sigmoid"}
LOSSES = {loss.MSE: "mse", loss.BCEWithLogits: "bce_with_logits",
          loss.CrossEntropy: "cross_entropy"}
EXACT = {"tanh", "sigmoid"}  # float64 data take the C library's function (kernel_ops.py)
X, Y = 0, 1

_compiled = {}  # source -> numba dispatcher, for the whole process


class Unsupported(Exception):
    """Why a program stays on the op-by-op replay (the message is shown by ``source``)."""


class Plan:
    """A program's generated source and what running it needs: the arena's size, where the
    model's output lies in it, the optimizer's state arrays it takes, its update's options."""

    def __init__(self, source, arena_size, output, state_keys, update, flags, dtype,
                 class_logits=None, rows=0):
        self.source, self.arena_size, self.output = source, arena_size, output
        self.rows = rows  # the batch's size: the arena holds arena_size numbers per row
        self.class_logits = class_logits  # CrossEntropy's logits' shape: its targets to check
        self.state_keys, self.update, self.flags, self.dtype = state_keys, update, flags, dtype


def update_flags(optimizer, options):
    """("adam" or "sgd", the options compiled into the update's loop), or None without a loop."""
    if optimizer.update is adam_update:
        wd = bool(options.get("weight_decay", 0.0))
        decoupled = bool(options.get("decoupled_weight_decay", False)) and wd
        return "adam", (bool(options.get("maximize", False)), wd and not decoupled, decoupled,
                        bool(options.get("amsgrad", False)))
    if optimizer.update is sgd_update:
        return "sgd", (bool(options.get("maximize", False)), bool(options.get("weight_decay")),
                       bool(options.get("momentum")), bool(options.get("dampening")),
                       bool(options.get("nesterov", False)))
    return None


@functools.cache
def _has_scipy():
    try:
        import scipy  # noqa: F401
    except ImportError:
        return False
    return True


def plan(program, params, optimizer, x, y_dtype):
    """The ``Plan`` for ``program`` on batches like ``x`` stepping ``params`` with ``optimizer``;
    raises Unsupported."""
    if not _has_scipy():
        raise Unsupported("numba's np.dot needs scipy (pip install \"chainrule[fast]\")")
    groups = optimizer.param_groups
    if len(groups) != 1:
        raise Unsupported(f"the optimizer has {len(groups)} parameter groups (one kernel "
                          "takes one)")
    options = optimizer.update_options(groups[0])
    found = update_flags(optimizer, options)
    if found is None:
        raise Unsupported(f"{type(optimizer).__name__} has no fused update loop (fused.py has "
                          "Adam's and SGD's)")
    update, flags = found
    needed = {"adam": ("lr", "beta1", "beta2", "eps", "weight_decay"),
              "sgd": ("lr", "momentum", "dampening", "weight_decay")}[update]
    if any(k not in options for k in needed):
        raise Unsupported(f"{type(optimizer).__name__}'s options lack one of {needed}")
    dtype = params[0].array.dtype
    if dtype not in (np.float32, np.float64) or any(p.array.dtype != dtype for p in params):
        raise Unsupported("the parameters are not all float32 or all float64")
    if x.dtype != dtype:
        raise Unsupported(f"the batch's x is {x.dtype}, the parameters {dtype}")
    return _Writer(program, params, dtype, x.shape, y_dtype).write(update, flags, options)


class _Writer:
    """Writes one program's source, line by line."""

    def __init__(self, program, params, dtype, x_shape, y_dtype):
        self.program, self.params, self.dtype = program, params, dtype
        self.shapes = {X: tuple(x_shape)}
        self.y_dtype = y_dtype
        self.names = {X: "x", Y: "y"}
        self.grads = {}  # slot -> name of its gradient
        self.views, self.forward, self.backward = [], [], []
        self.arena = 0
        self.counts = {}
        self.class_logits = None
        self.transposed = 0  # the features of the widest Linear (its region ends the arena)

    def write(self, update, flags, options):
        program = self.program
        nodes = program.nodes
        self._check_uses()
        if not nodes or nodes[-1].cls not in LOSSES:
            raise Unsupported("the step does not end in MSE, BCEWithLogits or CrossEntropy")
        if nodes[-1].out != program.loss:
            raise Unsupported("the loss is not the last op's value")
        self._param_views()
        for node in nodes[:-1]:
            if node.cls is linear.Linear:
                self._linear(node)
            elif node.cls in ACTIVATIONS:
                self._activation(node)
            else:
                raise Unsupported(f"the op {node.name} has no kernel in kernel_ops.py")
        self._loss(nodes[-1])
        output = program.output
        if output is not None and output not in self.offsets:
            raise Unsupported("the model's output is not an op's value")
        return self._source(update, flags, options)

    # -- checks and buffers ----------------------------------------------------------------------
    def _check_uses(self):
        uses = {}
        for node in self.program.nodes:
            for slot in node.args:
                if slot not in self.program.constants:
                    uses[slot] = uses.get(slot, 0) + 1
        for i in range(len(self.params)):
            if uses.get(2 + i) != 1:
                raise Unsupported(f"parameter {i} is used by {uses.get(2 + i, 0)} ops (one "
                                  "kernel takes each by exactly one)")
        if any(n > 1 for s, n in uses.items() if s >= 2 + len(self.params)):
            raise Unsupported("a value feeds two ops (its gradient would be a sum)")

    def _dtype_of(self, node):
        if node.dtype != self.dtype:
            raise Unsupported(f"{node.name} gives {node.dtype}, the parameters are {self.dtype}")

    def _value(self, slot, op):
        if slot not in self.names or slot == Y:
            raise Unsupported(f"an input of {op} is not the batch or an op's value")
        return self.names[slot]

    def _new_value(self, node, stem):
        self._dtype_of(node)
        self.counts[stem] = self.counts.get(stem, 0) + 1
        name = f"{stem}{self.counts[stem]}"
        shape = tuple(node.shape)
        if not shape or shape[0] != self.shapes[X][0]:
            raise Unsupported(f"{node.name} gives a value of shape {shape}, not one row per "
                              "sample of the batch")
        self.names[node.out], self.shapes[node.out] = name, shape
        self.offsets[node.out] = self._take(name, shape)
        if self.program.requires_grad[node.out]:
            self.grads[node.out] = "grad_" + name
            self._take("grad_" + name, shape)
        return name

    def _take(self, name, shape):
        """A view of the arena for a value of ``shape`` (n rows, n the batch's): the source
        says n, not its value, so one kernel serves every batch size."""
        size = math.prod(shape[1:])
        start, self.arena = self.arena, self.arena + size
        self.views.append(f"{name} = {_view('arena', f'{start} * n', ('n',) + shape[1:])}")
        return start, self.arena

    def _transposed(self, name, features):
        """A (features, n) view for Linear's (W·xᵀ) form; every Linear shares one region."""
        self.transposed = max(self.transposed, features)
        view = name + "_t"
        self.views.append(f"{view} = matrix(arena, TRANSPOSED * n, {features}, n)")
        return view

    def _param_views(self):
        self.offsets = {}
        self.param_names = {}
        start = 0
        self.param_lines = []
        for i, p in enumerate(self.params):
            stop = start + p.array.size
            self.param_lines.append((2 + i, start, stop, tuple(p.array.shape)))
            start = stop

    def _param(self, slot, name):
        i = slot - 2
        if not 0 <= i < len(self.params):
            raise Unsupported(f"{name} is not a parameter the optimizer holds")
        _, start, stop, shape = self.param_lines[i]
        self.views.append(f"{name} = {_view('params', start, shape)}")
        self.views.append(f"grad_{name} = {_view('grads', start, shape)}")
        return name

    # -- ops -------------------------------------------------------------------------------------
    def _linear(self, node):
        if len(node.args) != 3:
            raise Unsupported("Linear with other arguments than (x, weight, bias)")
        x_slot, w_slot, b_slot = node.args
        x = self._value(x_slot, "Linear")
        if len(self.shapes[x_slot]) != 2 or len(node.shape) != 2:
            raise Unsupported("Linear on an input that is not a matrix")
        has_bias = b_slot not in self.program.constants
        if not has_bias and self.program.constants[b_slot] is not None:
            raise Unsupported("Linear with a constant bias")
        out = self._new_value(node, "linear")
        w = self._param(w_slot, out + "_weight")
        b = self._param(b_slot, out + "_bias") if has_bias else None
        kind = "linear" if has_bias else "linear_nobias"
        out_t = self._transposed(out, node.shape[1])
        self.forward.append(f"{kind}_forward({x}, {w}, {b + ', ' if b else ''}{out}, {out_t})")
        g = self.grads[node.out]
        grad_x = self.grads.get(x_slot)
        args = [g, x] + ([w, grad_x] if grad_x else []) + [f"grad_{w}"] + (
            [f"grad_{b}"] if b else [])
        kind += "_backward" if grad_x else "_params_backward"
        self.backward.append(f"{kind}({', '.join(args)})")

    def _activation(self, node):
        stem = ACTIVATIONS[node.cls]
        (x_slot,) = node.args
        if x_slot not in self.grads:
            raise Unsupported(f"{node.name} on a value that needs no gradient")
        x = self._value(x_slot, node.name)
        out = self._new_value(node, stem)
        exact = "_exact" if stem in EXACT and self.dtype == np.float64 else ""
        self.forward.append(f"{stem}{exact}_forward({x}, {out})")
        self.backward.append(f"{stem}_backward({out}, {self.grads[node.out]}, "
                             f"{self.grads[x_slot]})")

    def _loss(self, node):
        stem = LOSSES[node.cls]
        z_slot, t_slot, *rest = node.args
        constants = self.program.constants
        if t_slot != Y or any(s not in constants for s in rest):
            raise Unsupported(f"{node.name} whose target is not the batch's y")
        reduction = constants[rest[0]] if rest else "mean"
        if reduction not in ("mean", "sum") or any(constants[s] is not None for s in rest[1:]):
            raise Unsupported(f"{node.name} with reduction={reduction!r} or a pos_weight")
        z = self._value(z_slot, node.name)
        shape = self.shapes[z_slot]
        if node.cls is loss.CrossEntropy:
            if len(shape) != 2 or self.y_dtype.kind not in "iu":
                raise Unsupported("CrossEntropy other than (N, C) logits with class indices")
            self.class_logits = shape
        elif self.y_dtype != self.dtype:
            raise Unsupported(f"{node.name} with a target of dtype {self.y_dtype}")
        if z_slot not in self.grads:
            raise Unsupported(f"{node.name} on a value that needs no gradient")
        mean = reduction == "mean"
        self.forward.append(f"loss = {stem}_forward({z}, y, {mean})")
        self.backward.append(f"{stem}_backward({z}, y, {mean}, {self.grads[z_slot]})")

    # -- the function ----------------------------------------------------------------------------
    def _source(self, update, flags, options):
        if update == "adam":
            amsgrad = flags[3]
            state_keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
            scalars = ("weight_decay", "decay", "c1", "beta2", "c2", "sqrt_bc2", "eps",
                       "step_size")
            update_line = (f"adam(params, grads, exp_avg, exp_avg_sq, "
                           f"{'max_exp_avg_sq' if amsgrad else 'exp_avg_sq'}, "
                           f"{', '.join(scalars)})")
            names = ("maximize", "l2", "decoupled", "amsgrad")
        else:
            state_keys = ("momentum_buffer",) if flags[2] else ()
            scalars = ("lr", "weight_decay", "momentum", "damp")
            buf = "momentum_buffer" if flags[2] else "params"
            update_line = f"sgd(params, grads, {buf}, {', '.join(scalars)})"
            names = ("maximize", "weight_decay", "momentum", "dampening", "nesterov")
        ops = " → ".join(n.name for n in self.program.nodes)
        chosen = ", ".join(f"{k}={v}" for k, v in zip(names, flags))
        args = ", ".join(("x", "y", "params", "grads") + state_keys + ("arena", "scalars", "skip"))
        lines = [f"def training_step({args}):",
                 f'    """{ops}; {update}({chosen}), {self.dtype}: one step."""',
                 "    n = x.shape[0]  # the batch's size",
                 "    " + ", ".join(scalars) + " = " + ", ".join(
                     f"scalars[{i}]" for i in range(len(scalars))),
                 *("    " + v for v in self.views),
                 "    # forward and loss",
                 *("    " + f for f in self.forward),
                 "    if skip and not np.isfinite(loss):",
                 "        return loss  # skip_nonfinite: gradients and weights untouched",
                 "    # backward, the recorded order reversed",
                 *("    " + b for b in reversed(self.backward)),
                 "    # the optimizer's update on the flat arrays (fused.py's loop)",
                 "    " + update_line,
                 "    return loss",
                 ""]
        lines = [line.replace("TRANSPOSED", str(self.arena)) for line in lines]
        self.arena += self.transposed
        output = self.offsets.get(self.program.output)
        output = None if output is None else (output, self.shapes[self.program.output])
        return Plan("\n".join(lines), self.arena, output, state_keys, update, flags, self.dtype,
                    self.class_logits, self.shapes[X][0])


def _view(flat, start, shape):
    """The source of a view of ``flat`` from ``start``: kernel_ops.matrix or .vector (a
    slice and reshape written out in the step compiled 4x slower)."""
    if len(shape) == 1:
        return f"vector({flat}, {start}, {shape[0]})"
    if len(shape) == 2:
        return f"matrix({flat}, {start}, {shape[0]}, {shape[1]})"
    raise Unsupported(f"a value or parameter of shape {shape} (one kernel takes matrices and "
                      "vectors)")


def compiled(plan):
    """The numba function for ``plan``'s source: compiled on its first call, kept by source."""
    kernel = _compiled.get(plan.source)
    if kernel is None:
        import numba

        from . import fused, kernel_ops

        namespace = {name: getattr(kernel_ops, name) for name in dir(kernel_ops)
                     if name.endswith(("_forward", "_backward")) or name in ("matrix", "vector")}
        namespace["np"] = np
        if plan.update == "adam":
            namespace["adam"] = fused._adam_loop(*plan.flags)
        else:
            namespace["sgd"] = fused._sgd_loop(*plan.flags)
        exec(compile(plan.source, "<chainrule training_step>", "exec"), namespace)  # noqa: S102
        kernel = _compiled[plan.source] = numba.njit(error_model="numpy", nogil=True)(
            namespace["training_step"])
    return kernel


class WholeStep:
    """A plan bound to an optimizer's flat layout: ``run(x, y, skip)`` is one training step."""

    def __init__(self, plan, layout, optimizer):
        self.plan, self.layout, self.optimizer = plan, layout, optimizer
        flat = self.flat = layout.flats[0]
        self.group = layout.groups[0]
        self.arrays = (flat.param, flat.grad) + tuple(flat.state[k] for k in plan.state_keys)
        self.arena = np.empty(plan.arena_size * plan.rows, plan.dtype)
        self.scalars = np.empty(8, plan.dtype)
        self.kernel = compiled(plan)
        out = plan.output
        n = plan.rows
        self.output = None if out is None else self.arena[out[0][0] * n:out[0][1] * n].reshape(
            out[1])
        self.compile_seconds = None  # seconds the first call spent compiling (0: cached)
        self.options = None  # the options last checked against the plan's
        self.states = [st for st, _ in flat.views]  # optimizer.state[p] of each parameter

    @classmethod
    def build(cls, plan_, layout, optimizer, params):
        """Bound to ``layout`` if it lays ``params`` out as the plan does, else None."""
        if len(layout.flats) != 1 or len(layout.params) != len(params) or any(
                a is not b for a, b in zip(layout.params, params)):
            return None
        flat = layout.flats[0]
        if any(k not in flat.state for k in plan_.state_keys) or any(
                flat.state[k].dtype != plan_.dtype for k in plan_.state_keys):
            return None
        return cls(plan_, layout, optimizer)

    def run(self, x, y, skip):
        """One step; returns the loss as an array, or None when the optimizer's options changed
        what the kernel was compiled for (the caller then plans again)."""
        options = self.optimizer.update_options(self.group)
        if options != self.options:  # a scheduler's new lr, or new options: still this loop?
            found = update_flags(self.optimizer, options)
            if found is None or found != (self.plan.update, self.plan.flags):
                return None
            self.options = options
        s = self.scalars  # Python floats rounded to the dtype on assignment, as fused.py's f()
        if self.plan.update == "adam":
            t = self.flat.state["step"] + 1
            lr, wd = float(options["lr"]), float(options["weight_decay"])
            beta1, beta2 = options["beta1"], options["beta2"]
            s[:] = (wd, 1 - lr * wd, 1 - beta1, beta2, 1 - beta2, (1 - beta2**t) ** 0.5,
                    options["eps"], lr / (1 - beta1**t))
        else:
            s[:4] = (options["lr"], options["weight_decay"], options["momentum"],
                     1 - options["dampening"])
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        if not y.flags.c_contiguous:
            y = np.ascontiguousarray(y)
        if self.compile_seconds is None:  # numba compiles on the first call: say how long
            fresh = not self.kernel.signatures
            start = time.perf_counter()
            value = self.kernel(x, y, *self.arrays, self.arena, s, skip)
            self.compile_seconds = time.perf_counter() - start if fresh else 0.0
        else:
            value = self.kernel(x, y, *self.arrays, self.arena, s, skip)
        if value == -np.inf and self.plan.class_logits is not None:  # kernel_ops.BAD_TARGET
            loss.check_class_indices("cross_entropy", self.plan.class_logits, y)  # raises
        if skip and not math.isfinite(value):
            return np.array(value, self.plan.dtype)
        if self.plan.update == "adam":  # the step count, shared and in each parameter's state
            self.flat.state["step"] = t
            for st in self.states:
                st["step"] = t
        for p, g in zip(self.layout.params, self.layout.grads):
            p.grad = g
        return np.array(value, self.plan.dtype)
