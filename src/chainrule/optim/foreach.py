"""The batched path of ``step``: on with ``foreach=True`` (torch's name for its multi-tensor path),
and for ``foreach=None`` (the default) on a group's small parameters (``small_ones``).

The plain step calls the update function once per parameter: a dozen NumPy calls each, which for
a net of many small layers costs more than the arithmetic. With ``foreach=True`` a parameter
group takes one step in three moves:

1. **gather**: the group's gradients (and, unless they already live there, its parameters) are
   copied end to end into flat arrays; the state (``exp_avg`` …) is kept flat all along, and each
   parameter's ``optimizer.state[p]`` entries are views into it;
2. **update**: the same update function (``adam_update`` …) runs once on the flat arrays;
3. **scatter**: the updated values go back to the parameters, the shared scalars (``step``) to
   each parameter's state.

When nobody but the parameter holds its array (``backend.unshared``), the parameters are moved
once into one flat array and become views of it: the update then writes them in place and only
the gradients are copied each step. Measured on the 2-8-8-1 net of
``benchmarks/training_throughput.py`` (W2): 98.5 → 76.6 µs a step. Same numbers as the plain path
(the update is elementwise), checked against torch.optim in ``tests/optim``.

``foreach=None`` batches the parameters of at most ``SMALL`` elements (when there are two or
more) and leaves each larger one to the plain loop: W1's biases and small layers go flat,
its 784x256 weight keeps its own call, where batching it would only add a copy.
"""

import numpy as np

from ..backend import get_array_module, on_host, unshared

# A parameter this small (128 KB of float32) costs more in a dozen NumPy calls of its own than in
# copying its gradient into the flat one: per-parameter Adam took 55 µs at 32,768 elements, the
# same elements in a flat update plus their copy 56 µs (timeit, 1 thread); below, batching wins.
SMALL = 32768


def foreach_step(optimizer, group, options, update=None):
    """One batched step of ``group``; False when the group cannot go flat (on the first step, with
    no state yet; a parameter without a gradient; mixed dtypes): the plain loop then steps it.
    ``update`` stands in for ``optimizer.update`` (the compiled step passes its fused one)."""
    flat = _layout(optimizer, group, group["params"])
    if flat is None:
        return False
    _step(optimizer, flat, options, update)
    return True


def small_ones(optimizer, group, options):
    """``foreach=None``'s step: the group's parameters of at most ``SMALL`` elements in one batched
    update; returns those left to the per-parameter loop (the larger ones, or all of them when
    fewer than two are small or they cannot go flat)."""
    params = group["params"]
    flat = optimizer._flat.get(id(group))
    if flat is None or not flat.ready(params, optimizer.state):  # not all of them, as before
        small = [p for p in params if p.array.size <= SMALL]
        flat = _layout(optimizer, group, small) if len(small) >= 2 else None
        if flat is None:
            return params
    _step(optimizer, flat, options)
    return [p for p in params if p.array.size > SMALL] if len(flat.params) < len(params) else ()


def _layout(optimizer, group, params):
    """The flat layout of ``params`` (all or part of ``group``; one kept per group), built again
    when it no longer holds; None when they cannot go flat."""
    flat = optimizer._flat.get(id(group))
    if flat is None or not flat.ready(params, optimizer.state):
        flat = optimizer._flat[id(group)] = FlatGroup.build(params, optimizer.state)
    return flat


def _step(optimizer, flat, options, update=None):
    """The three moves: gather the gradients, update the flat arrays once, scatter."""
    grad = flat.gather()
    (update or optimizer.update)(flat.param, grad, flat.state, **options)
    flat.scatter()


class FlatGroup:
    """A parameter group's parameters, gradients and state laid end to end in flat arrays."""

    # above this mean size, per-parameter calls cost less than copying parameters in and out
    MAX_MEAN_SIZE = 4096

    def __init__(self, params, dtype, slices, state_keys, shared_state, span):
        self.params = params
        self.slices = slices
        size = slices[-1][1] if slices else 0
        self.arrays = [p.array for p in params]  # in place: the views the parameters must keep
        self.in_place = span is not None
        xp = get_array_module(self.arrays[0])
        self.param = span if self.in_place else xp.empty(size, dtype=dtype)
        self.grad = xp.empty(size, dtype=dtype)
        self.state = shared_state  # flat arrays and the shared scalars ('step')
        self.views = []  # (a parameter's state, its (key, view of the flat state) pairs)
        self.state_keys = state_keys

    @classmethod
    def build(cls, group, state):
        """The flat layout of ``group`` (a parameter group, or a list of some of its parameters),
        or None when the per-parameter path is the right one."""
        params = group["params"] if isinstance(group, dict) else group
        if len(params) < 2 or len(set(params)) != len(params):
            return None
        if any(p.grad is None or p not in state or p.grad.array.shape != p.array.shape
               for p in params):
            return None  # the first step (no state yet), or a gradient the plain path rejects
        dtype = params[0].array.dtype
        if any(p.array.dtype != dtype for p in params):
            return None
        span = _shared_span([p.array for p in params])
        if span is None and all(map(_unheld, params)):
            span = _lay_end_to_end(params)
        if span is None and sum(p.array.size for p in params) > cls.MAX_MEAN_SIZE * len(params):
            return None
        states = [state.get(p, {}) for p in params]
        keys = sorted(states[0])
        arrays, scalars = [], {}
        for key in keys:
            values = [st.get(key, None) for st in states]
            if all(_is_array(v) and v.shape == p.array.shape and v.dtype == dtype
                   for v, p in zip(values, params)):
                arrays.append(key)
            elif all(not _is_array(v) and v == values[0] for v in values):
                scalars[key] = values[0]
            else:
                return None
        if any(sorted(st) != keys for st in states):
            return None
        slices = []
        start = 0
        for p in params:
            slices.append((start, start + p.array.size))
            start += p.array.size
        shared = dict(scalars)
        for key in arrays:
            xp = get_array_module(state[params[0]][key])
            shared[key] = xp.concatenate([state[p][key].reshape(-1) for p in params])
        flat = cls(list(params), dtype, slices, arrays, shared, span)
        for p, (a, b) in zip(params, slices):
            views = {key: shared[key][a:b].reshape(p.array.shape) for key in arrays}
            state.setdefault(p, {}).update(views)
            flat.views.append((state[p], tuple(views.items())))
        return flat

    def ready(self, params, state):
        """Still the same parameters and arrays, all with gradients, and nobody replaced their
        state (one pass: this runs every step)."""
        if len(params) != len(self.params):
            return False
        get = state.get
        for p, mine, array, (st, views) in zip(params, self.params, self.arrays, self.views):
            if p is not mine or p.array is not array or get(p) is not st:
                return False  # another parameter, a new array (.double(), p.array = ...), or state
            grad = p.grad
            if grad is None or grad.array.shape != array.shape:
                return False
            for key, view in views:
                if st.get(key) is not view:
                    return False
        return True

    def gather(self):
        """Copy the gradients (and parameters not laid end to end) into the flat arrays; returns
        the flat gradient."""
        if not self.in_place:
            _concatenate_into([p.array for p in self.params], self.param)
        _concatenate_into([p.grad.array for p in self.params], self.grad)
        return self.grad

    def scatter(self):
        """Write the updated flat parameters back, and the shared scalars to each state."""
        if not self.in_place:
            flat = self.param
            for p, (a, b) in zip(self.params, self.slices):
                p.array[...] = flat[a:b].reshape(p.array.shape)
        scalars = {k: v for k, v in self.state.items() if k not in self.state_keys}
        for st, _ in self.views:
            st.update(scalars)


def _is_array(value):
    return isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__")


def _concatenate_into(arrays, out):
    """``arrays`` flattened end to end into ``out`` (a gradient cast to its dtype)."""
    if type(out) is np.ndarray:
        np.concatenate(arrays, axis=None, out=out, casting="same_kind")
    else:  # CuPy's concatenate: the same, given 1-D arrays
        get_array_module(out).concatenate([a.ravel() for a in arrays], out=out,
                                          casting="same_kind")


def _unheld(p):
    """True when only ``p`` itself refers to its array, which owns its memory."""
    data = p.array
    return unshared(data, 2)  # holders: p's slot and this local


def _lay_end_to_end(params):
    """Move the parameters' values into one new flat array, which is returned; each ``p.array``
    becomes a view into it."""
    xp = get_array_module(params[0].array)
    flat = xp.empty(sum(p.array.size for p in params), dtype=params[0].array.dtype)
    start = 0
    for p in params:
        stop = start + p.array.size
        view = flat[start:stop].reshape(p.array.shape)
        view[...] = p.array
        p.array = view
        start = stop
    return flat


def _shared_span(arrays):
    """The 1-D array that ``arrays`` tile end to end as consecutive views of one buffer, or None.

    ``_lay_end_to_end`` makes this layout; the flat path then updates the parameters in place.
    """
    if not on_host(arrays[0]):
        return None  # GPU memory has no __array_interface__; the layout is rebuilt instead
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
