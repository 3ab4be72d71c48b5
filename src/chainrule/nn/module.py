"""``Module``: the base of every layer and network.

A module owns parameters (its weights and biases) and child modules, found by attribute
assignment (``self.fc = Linear(2, 3)``), kept in insertion order so ``parameters()`` and
``state_dict()`` always list them the same way. ``model(x)`` calls ``forward(x)``, with the
forward hooks around it when any are registered (tools that watch a layer hook in; they never
replace its ``forward``).
"""

import itertools
from collections import OrderedDict

import numpy as np

from ..devices import as_device, device_of, move, same_place
from ..errors import ShapeError
from ..tensor import Tensor
from ..torch_args import DtypeShortcuts, read_to
from .parameter import Parameter


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``handle.remove()`` takes the hook off again
    (also as a context manager: the hook is on inside the ``with`` block)."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module(DtypeShortcuts):
    """Base class for layers and models, with torch's ``nn.Module`` interface."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_pre_hooks", {})  # handle id -> hook(module, args)
        object.__setattr__(self, "_forward_hooks", {})  # handle id -> hook(module, args, output)
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())

    # Parameters and children are plain attributes too, so reading them costs nothing extra.
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                               "before assigning attributes")
        params, modules = self._parameters, self._modules
        # As torch: a registered weight or child is replaced by its own kind (or None), never
        # silently dropped from parameters() by assigning, say, a plain Tensor or an array.
        if name in params and value is not None and not isinstance(value, Parameter):
            raise TypeError(f"cannot assign a {type(value).__name__} as parameter {name!r} of "
                            f"{type(self).__name__} (a Parameter or None expected; to change "
                            f"its values, assign to .{name}.data)")
        if name in modules and value is not None and not isinstance(value, Module):
            raise TypeError(f"cannot assign a {type(value).__name__} as child module {name!r} "
                            f"of {type(self).__name__} (a Module or None expected)")
        params.pop(name, None)
        modules.pop(name, None)
        if name in self._buffers:
            self._set_buffer(name, value)
            return
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (or None, for an absent bias) under ``name``."""
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        elif not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter (or None), got a "
                            f"{type(param).__name__}")
        else:
            setattr(self, name, param)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module (or None), got a "
                            f"{type(module).__name__}")
        setattr(self, name, module)

    # -- buffers: state that is saved and moved with the module but not trained ----------
    # (BatchNorm's running mean and variance). A buffer is a Tensor in ``_buffers``; assigning
    # to its name replaces it, ``persistent=False`` keeps it out of ``state_dict``.
    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor (or None) that belongs to the module's state without being a parameter:
        ``state_dict`` saves it (unless ``persistent=False``), ``.to(dtype)`` converts it when
        it is floating, optimizers never see it."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: the name must be a non-empty string without '.', "
                           f"got {name!r}")
        if name in self._parameters or name in self._modules or (
                hasattr(self, name) and name not in self._buffers):
            raise KeyError(f"register_buffer: {type(self).__name__} already has an attribute "
                           f"{name!r}")
        self._buffers[name] = None
        self._set_buffer(name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def _set_buffer(self, name, tensor):
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(f"buffer {name!r} of {type(self).__name__} must be a Tensor (or "
                            f"None), got a {type(tensor).__name__}")
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix="", recurse=True):
        """(name, buffer) for every buffer that is not None, named as in ``state_dict``."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, b in module._buffers.items():
                if b is None or id(b) in seen:
                    continue
                seen.add(id(b))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _state_buffers(self, prefix=""):
        """(name, buffer) of the persistent buffers, one module level (``_state_entries``
        walks the tree)."""
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b

    # -- running ----------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        if self._forward_hooks or self._forward_pre_hooks:  # the one check when none are on
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        """torch's order: each pre-hook may replace the inputs, then ``forward``, then each
        forward hook may replace the output (a hook that returns None changes nothing)."""
        for hook in list(self._forward_pre_hooks.values()):
            new_args = hook(self, args)
            if new_args is not None:
                args = new_args if isinstance(new_args, tuple) else (new_args,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            new_output = hook(self, args, output)
            if new_output is not None:
                output = new_output
        return output

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before each ``forward``; a non-None return replaces
        ``args`` (a single value becomes a 1-tuple). Returns a handle with ``.remove()``."""
        return self._add_hook(self._forward_pre_hooks, hook, "register_forward_pre_hook")

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after each ``forward``; a non-None return
        replaces the output. Returns a handle with ``.remove()``."""
        return self._add_hook(self._forward_hooks, hook, "register_forward_hook")

    @staticmethod
    def _add_hook(hooks, hook, who):
        if not callable(hook):
            raise TypeError(f"{who}: the hook must be callable, got a {type(hook).__name__}")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def train(self, mode=True):
        """Training mode (dropout active); ``eval()`` switches it off. Returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    # -- walking the tree ----------
    def named_modules(self, prefix="", memo=None):
        """Every module of the tree, once each: a layer used twice is listed under its first
        name only (as torch), so ``apply`` or a count of layers sees it once."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        yield from self._modules.items()

    def children(self):
        yield from self._modules.values()

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if id(p) in seen:
                    continue  # a shared weight is listed once
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array[...] = 0

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Move every parameter, gradient and buffer to a device and/or convert the floating
        ones to a floating dtype, in place (the Parameter objects stay the same, so an optimizer
        made before still holds them); returns self. ``model.to("cuda")``,
        ``model.to(cr.float64)``, ``model.to(device, cr.float64)``.
        """
        dtype, device = read_to(type(self).__name__, args, dtype, device)
        if device is not None:
            self._move_to(device)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to only converts parameters to floating "
                            f"dtypes, got {dtype}")
        for p in self.parameters():
            if p.array.dtype != dtype:
                p.array = p.array.astype(dtype)
            if p.grad is not None and p.grad.array.dtype != dtype:
                p.grad.array = p.grad.array.astype(dtype)
        for b in self.buffers():  # floating buffers follow, integer ones (counters) stay
            if b.array.dtype.kind == "f" and b.array.dtype != dtype:
                b.array = b.array.astype(dtype)
        return self

    def cuda(self, device=None):
        """Move every parameter and buffer to a GPU (``device``: its number); returns self."""
        return self.to(as_device("cuda" if device is None else device))

    def cpu(self):
        """Move every parameter and buffer to main memory; returns self."""
        return self.to("cpu")

    def _move_to(self, device):
        """Every array this module holds on ``device``: all copied first, then swapped in, so a
        failed copy (no GPU, no memory) leaves the module as it was."""
        tensors = []
        for p in self.parameters():
            tensors.append(p)
            if p.grad is not None:
                tensors.append(p.grad)
        tensors.extend(self.buffers())
        moved = [(t, move(t.array, device)) for t in tensors if not same_place(t.array, device)]
        for t, array in moved:
            t.array = array

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def apply(self, fn):
        for m in self.modules():
            fn(m)
        return self

    def num_parameters(self, trainable_only=False):
        return sum(p.array.size for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # -- saving and loading weights ----------
    def _state_entries(self, prefix=""):
        """What ``state_dict`` holds, in torch's order: each module's parameters, then its
        persistent buffers, then its children's. Unlike ``named_parameters``, a shared weight
        appears once per place it is used, as in torch's state_dict."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        yield from self._state_buffers(prefix)
        for name, child in self._modules.items():
            yield from child._state_entries(f"{prefix}{name}.")

    def state_dict(self):
        """Name -> tensor sharing the data of each parameter and persistent buffer, named as
        torch names them."""
        return OrderedDict((name, Tensor(p.array)) for name, p in self._state_entries())

    def load_state_dict(self, state_dict, strict=True):
        """Copy weights in from tensors or arrays (a torch state_dict's values work too).

        With ``strict`` every key must match; shapes must always match. Returns the missing and
        unexpected keys, as torch does.
        """
        own = dict(self._state_entries())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            if isinstance(value, Tensor):
                value = value.array
            elif hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
                value = value.detach().cpu().numpy()
            elif not hasattr(value, "__cuda_array_interface__"):
                value = np.asarray(value)
            if value.shape != p.array.shape:
                raise ShapeError(f"load_state_dict: {name} has shape {tuple(p.array.shape)} in "
                                 f"the model but {tuple(value.shape)} in the state dict")
            p.array[...] = move(value, device_of(p.array))  # copied across devices, as torch
        return missing, unexpected

    # -- describing itself ----------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        if not self._modules:
            return lines[0] + ")"
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    def config(self):
        """The constructor arguments that rebuild this layer (used to save an architecture)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not describe its architecture; save its state_dict "
            "and rebuild it in code, or build the model from chainrule.nn layers in a Sequential"
        )

    def summary(self, input_shape, print_fn=print):
        """Keras-like table of layers, output shapes and parameter counts."""
        from .summary import summary

        return summary(self, input_shape, print_fn=print_fn)
