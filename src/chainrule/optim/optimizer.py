"""``Optimizer``: the bookkeeping every optimizer shares.

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's
hyperparameters, so e.g. the last layer can learn faster than the rest) and ``state`` (a dict from
each parameter object to what the update remembers about it: a momentum buffer, running averages,
a step count). The update itself lives in a plain function per optimizer (``sgd_update``,
``adam_update``, ...) that a subclass's ``step`` calls for each parameter with a gradient.

Like torch.optim, ``step`` updates ``p.data`` in place from ``p.grad.data``: no graph is built.
"""

import math
import sys
import warnings

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor

_getrefcount = sys.getrefcount


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each with a ``'params'``
    entry and any hyperparameters that differ from ``defaults``.
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                "got a single Tensor (wrap it in a list)"
            )
        # A Module: a plain one is not iterable, a Sequential iterates its layers (not Tensors).
        if callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, got "
                f"the {type(params).__name__} itself (pass model.parameters())"
            )
        self.defaults = dict(defaults)
        self.state = {}  # parameter object -> its state dict (keyed by the object, never id())
        self.param_groups = []
        self._flat = {}  # id(group) -> _FlatGroup: the fast path for groups of small parameters
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

    # -- parameter groups ----------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters, filling hyperparameters it does not give from the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters must be in an ordered collection (a list), not a set: "
                "a set's order changes between runs"
            )
        group["params"] = list(params)
        where = f"param_groups[{len(self.param_groups)}]"
        _split_names(group, where)
        for j, p in enumerate(group["params"]):
            _check_parameter(p, f"{where}['params'][{j}]")

        seen = {}
        for p in group["params"]:
            if p in seen:
                warnings.warn(f"{where} holds the same parameter twice; it will be updated twice",
                              stacklevel=2)
            seen[p] = True
        for other in self.param_groups:
            if any(p in seen for p in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Raise ValueError for a group whose hyperparameters make no sense (subclasses extend)."""
        _check_nonnegative(group, "lr", "learning rate")

    # -- the step ------------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _updates(self, group):
        """(param array, grad array, state) triples for the update function to apply.

        Per parameter, or — from the second step on, when ``_FlatGroup.build`` finds it pays — a
        single triple of flat arrays holding the whole group, so the update runs a dozen NumPy
        calls in all instead of a dozen per parameter (``benchmarks/training_throughput.py``).
        The layout is checked (and rebuilt if needed) at the start of the step, when no
        reference from the previous step's update is left.
        """
        flat = self._flat.get(id(group))
        if flat is None or not flat.ready(group, self.state):
            flat = self._flat[id(group)] = _FlatGroup.build(group, self.state)
        if flat is None:
            yield from self._params_with_grad(group)
            return
        yield flat.param, flat.gather_grads(), flat.state
        flat.scatter()

    def _params_with_grad(self, group):
        """(param array, grad array, state) for each parameter of ``group`` with a gradient."""
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad.data
            if grad.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: a parameter of shape {p.data.shape} has a "
                    f"gradient of shape {grad.shape}"
                )
            if grad.dtype != p.data.dtype:  # the update works in the parameter's dtype
                grad = grad.astype(p.data.dtype)
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {}
            yield p.data, grad, state

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    # -- saving and loading --------------------------------------------------------------------
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [...]}`` with parameters as integer indices.

        Indices count parameters in group order, as torch does, so a state dict fits any optimizer
        built the same way. State arrays are copies: stepping on does not change a saved dict.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(p, len(index))
            packed["params"] = [index[p] for p in group["params"]]
            groups.append(packed)
        state = {
            index[p]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for p, s in self.state.items()
            if p in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state saved by ``state_dict`` (arrays are copied in)."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the saved state has {len(saved_groups)} parameter group(s), "
                f"this optimizer has {len(self.param_groups)}"
            )
        by_index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}: saved parameter group {i} has {len(saved['params'])} parameters, "
                    f"this optimizer's has {len(group['params'])}"
                )
            for idx, p in zip(saved["params"], group["params"]):
                by_index[int(idx)] = p

        state = {}
        for idx, saved in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                raise ValueError(f"{name}: state for parameter {idx}, which no group holds")
            state[p] = {k: _restore(k, v, p, name) for k, v in saved.items()}
        groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            restored = {k: v for k, v in saved.items() if k != "params"}
            restored["params"] = group["params"]
            groups.append(restored)
        self.state = state
        self.param_groups = groups
        self._flat = {}


class _FlatGroup:
    """A parameter group's parameters, gradients and state laid end to end in flat arrays.

    Worth it where NumPy's per-call overhead dominates: many parameters of modest size. The
    parameters keep their own arrays if a user may hold them: the optimizer then gathers them in,
    updates the flat copy and writes it back. But when no one else holds a parameter's array (its
    reference count says so, as the engine checks before keeping a gradient), nobody can tell if
    it moves: the parameters then become consecutive views of one flat array, which the update
    changes in place, and only the gradients are copied each step, which pays even for large
    parameters. Each parameter's state entries are views into the flat state, so
    ``optimizer.state[p]`` and ``state_dict()`` read exactly what the update wrote.
    """

    # above this mean size, per-parameter calls cost less than copying parameters in and out
    MAX_MEAN_SIZE = 4096

    def __init__(self, params, dtype, slices, state_keys, shared_state, span):
        self.params = params
        self.slices = slices
        size = slices[-1][1] if slices else 0
        self.arrays = [p.data for p in params]  # in place: the views the parameters must keep
        self.in_place = span is not None
        self.param = span if self.in_place else np.empty(size, dtype=dtype)
        self.grad = np.empty(size, dtype=dtype)
        self.state = shared_state  # flat arrays and the shared scalars ('step')
        self.views = []
        self.state_keys = state_keys

    @classmethod
    def build(cls, group, state):
        """The flat layout of ``group``, or None when the per-parameter path is the right one."""
        params = group["params"]
        if len(params) < 2 or len(set(params)) != len(params):
            return None
        if any(p.grad is None or p not in state for p in params):
            return None  # the first step (no state yet) or a parameter without a gradient
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype for p in params):
            return None
        span = _shared_span([p.data for p in params])
        if span is None and all(map(_unheld, params)):
            span = _lay_end_to_end(params)
        if span is None and sum(p.data.size for p in params) > cls.MAX_MEAN_SIZE * len(params):
            return None
        states = [state.get(p, {}) for p in params]
        keys = sorted(states[0])
        arrays, scalars = [], {}
        for key in keys:
            values = [st.get(key, None) for st in states]
            if all(isinstance(v, np.ndarray) and v.shape == p.data.shape and v.dtype == dtype
                   for v, p in zip(values, params)):
                arrays.append(key)
            elif all(not isinstance(v, np.ndarray) and v == values[0] for v in values):
                scalars[key] = values[0]
            else:
                return None
        if any(sorted(st) != keys for st in states):
            return None
        slices = []
        start = 0
        for p in params:
            slices.append((start, start + p.data.size))
            start += p.data.size
        shared = dict(scalars)
        for key in arrays:
            shared[key] = np.concatenate([state[p][key].reshape(-1) for p in params])
        flat = cls(list(params), dtype, slices, arrays, shared, span)
        for p, (a, b) in zip(params, slices):
            views = {key: shared[key][a:b].reshape(p.data.shape) for key in arrays}
            state.setdefault(p, {}).update(views)
            flat.views.append((state[p], views))
        return flat

    def ready(self, group, state):
        """Still the same parameters and arrays, all with gradients, and nobody replaced their
        state (one pass: this runs every step)."""
        params = group["params"]
        if len(params) != len(self.params):
            return False
        get = state.get
        for p, mine, array, (st, views) in zip(params, self.params, self.arrays, self.views):
            if p is not mine or p.data is not array or get(p) is not st:
                return False  # another parameter, a new array (.double(), p.data = ...), or state
            grad = p.grad
            if grad is None or grad.data.shape != array.shape:
                return False
            for key, view in views.items():
                if st.get(key) is not view:
                    return False
        return True

    def gather_grads(self):
        """Copy the parameters and their gradients into the flat arrays; returns the gradient."""
        if not self.in_place:
            np.concatenate([p.data for p in self.params], axis=None, out=self.param)
        np.concatenate([p.grad.data for p in self.params], axis=None, out=self.grad,
                       casting="same_kind")
        return self.grad

    def scatter(self):
        """Write the updated flat parameters back, and the shared scalars to each state."""
        if not self.in_place:
            flat = self.param
            for p, (a, b) in zip(self.params, self.slices):
                p.data[...] = flat[a:b].reshape(p.data.shape)
        scalars = {k: v for k, v in self.state.items() if k not in self.state_keys}
        for st, _ in self.views:
            st.update(scalars)


def _data_refcount(p):
    return _getrefcount(p.data)


_UNHELD_REFCOUNT = _data_refcount(Tensor(np.zeros(1)))  # measured, not assumed: Pythons differ


def _unheld(p):
    """True when only ``p`` itself refers to its array, which owns its memory."""
    return p.data.base is None and _data_refcount(p) == _UNHELD_REFCOUNT


def _lay_end_to_end(params):
    """Move the parameters' values into one new flat array, which is returned; each ``p.data``
    becomes a view into it."""
    flat = np.empty(sum(p.data.size for p in params), dtype=params[0].data.dtype)
    start = 0
    for p in params:
        stop = start + p.data.size
        view = flat[start:stop].reshape(p.data.shape)
        view[...] = p.data
        p.data = view
        start = stop
    return flat


def _shared_span(arrays):
    """The 1-D array that ``arrays`` tile end to end as consecutive views of one buffer, or None.

    ``_lay_end_to_end`` makes this layout; the flat path then updates the parameters in place.
    """
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous or not base.flags.writeable:
        return None
    start = address = arrays[0].__array_interface__["data"][0]
    for a in arrays:
        if (a.base is not base or not a.flags.c_contiguous or a.dtype != base.dtype
                or a.__array_interface__["data"][0] != address):
            return None
        address += a.nbytes
    first = (start - base.__array_interface__["data"][0]) // base.itemsize
    return base[first:first + (address - start) // base.itemsize]


def _restore(key, value, p, name):
    """A saved state entry as this parameter needs it: arrays copied in its dtype and shape."""
    if key == "step":
        return int(value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, as Module accepts
        value = value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, Tensor)):
        arr = np.array(value.data if isinstance(value, Tensor) else value, dtype=p.data.dtype)
        if arr.shape != p.data.shape:
            raise ValueError(
                f"{name}: saved state {key!r} has shape {arr.shape}, the parameter {p.data.shape}"
            )
        return arr
    return value


def _split_names(group, where):
    """``model.named_parameters()`` gives (name, parameter) pairs: keep the parameters in
    ``'params'`` and the names in ``'param_names'``, as torch does."""
    params = group["params"]
    named = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params]
    if not any(named):
        return
    if not all(named):
        raise ValueError(f"{where}: give every parameter with its name (named_parameters()) or "
                         "none of them, not a mix")
    group["param_names"] = [name for name, _ in params]
    group["params"] = [p for _, p in params]


def _check_parameter(p, where):
    if not isinstance(p, Tensor):
        raise TypeError(f"optimizers can only optimize Tensors, but {where} is a "
                        f"{type(p).__name__}")
    if not p.is_leaf:
        raise ValueError(f"can't optimize a non-leaf Tensor ({where} was computed by an op)")
    if not np.issubdtype(p.data.dtype, np.floating):
        raise TypeError(
            f"optimizers can only optimize floating-point tensors, but {where} has dtype "
            f"{p.data.dtype} (convert it with .float() or .double())"
        )


def _check_nonnegative(group, key, what):
    value = group[key]
    if not (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)):
        raise TypeError(f"{what} ({key}) must be a number, got {value!r}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"Invalid {what}: {key}={value} (must be >= 0)")


def _evaluate(closure):
    """Run the closure (which recomputes the loss and its gradients) with grad mode on."""
    if closure is None:
        return None
    with enable_grad():
        return closure()
