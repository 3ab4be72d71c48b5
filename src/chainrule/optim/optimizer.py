"""``Optimizer``: the one step loop every optimizer shares, and its bookkeeping.

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's
hyperparameters, so e.g. the last layer can learn faster than the rest) and ``state`` (a dict from
each parameter object to what the update remembers about it: a momentum buffer, running averages,
a step count). A subclass declares two things: its ``update`` function, a plain function on
arrays (``sgd_update``, ``adam_update`` …), and the ``hyperparameters`` of a group it reads.
``step`` is written once, here::

    for group in self.param_groups:
        for each parameter p with a gradient:
            update(p.array, p.grad.array, self.state[p], lr=group["lr"], ...)

Like torch.optim, ``step`` updates ``p.array`` in place from ``p.grad.array``: no graph is built.
A group's ``foreach`` option picks how, as in torch: ``True``, the group is updated in one batched
call (``foreach.py``); ``False``, always the loop above; ``None`` (the default), the
implementation chooses: the group's small parameters on the batched path, where a dozen NumPy
calls per parameter cost more than the arithmetic, each large one in the loop
(``foreach.small_ones``). The numbers
are the same either way (the updates are elementwise); ``foreach=False`` keeps the textbook loop
for a learner stepping through it.
"""

import math
import warnings

import numpy as np

from ..autograd import enable_grad
from ..devices import device_of, move
from ..tensor import Tensor
from .foreach import foreach_step, small_ones


class Optimizer:
    """Base class: parameter groups, per-parameter state, the step loop, ``zero_grad`` and
    ``state_dict``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each with a ``'params'``
    entry and any hyperparameters that differ from ``defaults``.
    """

    # What a subclass declares: update(param, grad, state, **hyperparameters) changes the array
    # ``param`` in place, and the group entries it reads, passed by these names.
    update = None
    hyperparameters = ()
    # The hyperparameters that must be numbers >= 0, checked in this order for every group.
    nonnegative = ("lr",)

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
        self._flat = {}  # id(group) -> foreach.FlatGroup, for groups on the batched path
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
        for key in self.nonnegative:
            _check_nonnegative(group, key, _NAMES.get(key, key))

    # -- the step ------------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        if self.update is None:
            raise NotImplementedError(f"{type(self).__name__} does not implement step(): declare "
                                      "its update function (update = staticmethod(...))")
        loss = _evaluate(closure)
        for group in self.param_groups:
            options = self.update_options(group)
            foreach = group.get("foreach")
            if foreach is None:  # the implementation chooses: the small parameters batched
                looped = small_ones(self, group, options)
            elif foreach and foreach_step(self, group, options):  # the user chose
                looped = ()  # the whole group in one batched update
            else:
                looped = group["params"]
            if looped is group["params"] and self._flat.get(id(group)) is not None:
                self._flat[id(group)] = None  # leaving the batched path: forget its layout,
                # whose shared 'step' would go stale
            if looped:
                for param, grad, state in self._params_with_grad(group, looped):
                    self.update(param, grad, state, **options)
        return loss

    def update_options(self, group):
        """The keyword arguments ``update`` gets for ``group``: its declared hyperparameters."""
        return {name: group[name] for name in self.hyperparameters}

    def _params_with_grad(self, group, params=None):
        """(param array, grad array, state) for each parameter of ``group`` (or of ``params``,
        some of them) with a gradient."""
        for p in group["params"] if params is None else params:
            if p.grad is None:
                continue
            grad = p.grad.array
            if grad.shape != p.array.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: a parameter of shape {p.array.shape} has a "
                    f"gradient of shape {grad.shape}"
                )
            if grad.dtype != p.array.dtype:  # the update works in the parameter's dtype
                grad = grad.astype(p.array.dtype)
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {}
            yield p.array, grad, state

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

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
            index[p]: {k: (v.copy() if hasattr(v, "shape") and not isinstance(v, np.generic)
                           else v) for k, v in s.items()}
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


# State entries that are one number per parameter, not an array of its shape.
_SCALAR_STATE = {"step": int, "mu_product": float}


def _restore(key, value, p, name):
    """A saved state entry as this parameter needs it: arrays copied in its dtype and shape."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, as Module accepts
        value = value.detach().cpu().numpy()
    if key in _SCALAR_STATE:  # torch keeps these as 0-d tensors
        return _SCALAR_STATE[key](value.array if isinstance(value, Tensor) else value)
    if isinstance(value, (np.ndarray, Tensor)) or hasattr(value, "__cuda_array_interface__"):
        arr = value.array if isinstance(value, Tensor) else value
        arr = move(arr.astype(p.array.dtype), device_of(p.array))  # a copy, where p lives
        if arr.shape != p.array.shape:
            raise ValueError(
                f"{name}: saved state {key!r} has shape {arr.shape}, the parameter {p.array.shape}"
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
    if not np.issubdtype(p.array.dtype, np.floating):
        raise TypeError(
            f"optimizers can only optimize floating-point tensors, but {where} has dtype "
            f"{p.array.dtype} (convert it with .float() or .double())"
        )


_NAMES = {"lr": "learning rate", "eps": "epsilon"}  # as the error messages call them


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
