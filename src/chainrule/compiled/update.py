"""The optimizer's step inside a compiled step: flat buffers, and a fused update where one exists.

The batched path of ``optim/foreach.py`` keeps a group's parameters and state in flat arrays
(``FlatGroup``: the parameters laid end to end, ``optimizer.state[p]`` entries views into the
flat state). A compiled step goes one step further: its ``FlatLayout`` hands the replay a view
of the flat gradient per parameter, the kernels write the gradients there, and the update runs
once per group on the flat arrays with nothing gathered or scattered but the step count.

The update itself is the optimizer's own function (``adam_update`` …) unless ``fused`` has a
kernel for the optimizer and its options: then one numba loop does the dozen NumPy passes in one
(``fused.py``). An optimizer without a kernel is not refused: it steps with its own update on the
flat buffers, as eager ``foreach=True`` does.
"""

import numpy as np

from ..optim.foreach import FlatGroup, foreach_step
from ..tensor import Tensor


def _update_for(optimizer, fused_updates):
    """The fused stand-in for the optimizer's update function, or that function itself."""
    return (fused_updates or {}).get(optimizer.update, optimizer.update)


def step_optimizer(optimizer, fused_updates=None):
    """One step of every group of ``optimizer`` on the gradients in ``p.grad``: the first step
    (no state to lay flat yet), or any step the flat layout cannot take."""
    for group in optimizer.param_groups:
        options = optimizer.update_options(group)
        update = _update_for(optimizer, fused_updates)
        if foreach_step(optimizer, group, options, update=update):
            continue
        for param, grad, state in optimizer._params_with_grad(group):
            update(param, grad, state, **options)


class FlatLayout:
    """Every group of an optimizer on the flat path, parameters updated in place; built after a
    first step (the state must exist), valid until someone replaces an array or the state."""

    def __init__(self, optimizer, flats):
        self.optimizer = optimizer
        self.flats = flats
        self.state = optimizer.state
        self.groups = list(optimizer.param_groups)
        self.params = [p for flat in flats for p in flat.params]
        self.arrays = [p.array for p in self.params]
        self.views = []  # one view of the flat gradient per parameter, in the params' order
        for flat in flats:
            for p, (a, b) in zip(flat.params, flat.slices):
                self.views.append(flat.grad[a:b].reshape(p.array.shape))
        self.grads = [Tensor._make(v) for v in self.views]
        self.first_states = [optimizer.state[flat.params[0]] for flat in flats]

    @classmethod
    def build(cls, optimizer):
        """The layout, or None when a group cannot go flat in place (then the step stays on
        ``step_optimizer``)."""
        flats = []
        for group in optimizer.param_groups:
            flat = FlatGroup.build(group, optimizer.state)
            if flat is None or not flat.in_place:
                return None
            optimizer._flat[id(group)] = flat  # eager step() then keeps to the same layout
            flats.append(flat)
        return cls(optimizer, flats)

    def valid(self):
        """Same groups, parameters, arrays and state as when built (one pass: every step)."""
        optimizer = self.optimizer
        groups = optimizer.param_groups
        if optimizer.state is not self.state or len(groups) != len(self.groups) or any(
                a is not b for a, b in zip(groups, self.groups)):
            return False
        for p, array in zip(self.params, self.arrays):
            if p.array is not array:
                return False
        for flat, st in zip(self.flats, self.first_states):
            shared = flat.state.get("step")
            if self.state.get(flat.params[0]) is not st or st.get("step") != shared:
                return False  # replaced, or stepped by an eager step() in between
        return True

    def step(self, grads, fused_updates):
        """Update with ``grads`` (those a kernel wrote in place are the views themselves)."""
        for view, g in zip(self.views, grads):
            if g is not view:
                np.copyto(view, g, casting="same_kind")
        for p, t in zip(self.params, self.grads):
            p.grad = t
        optimizer = self.optimizer
        for group, flat in zip(self.groups, self.flats):
            options = optimizer.update_options(group)
            _update_for(optimizer, fused_updates)(flat.param, flat.grad, flat.state, **options)
            flat.scatter()
