"""Containers: ``Sequential`` (layers applied one after the other, the output of one the input of
the next) and ``ModuleList`` (layers held in a list, applied however your ``forward`` says)."""

import numbers
from collections import OrderedDict

from .module import Module


class _Layers(Module):
    """What Sequential and ModuleList share: numbered layers to append, insert, replace,
    delete, count, loop over and index (a slice gives a container of the same kind: a
    Sequential keeps the layers' names, a ModuleList numbers them from 0, as torch does)."""

    def append(self, layer):
        self._check_layer(layer, len(self))
        self.add_module(str(len(self._modules)), layer)
        return self

    def insert(self, index, layer):
        """Put ``layer`` before position ``index``; the layers are numbered again from 0."""
        n = len(self)
        integer = isinstance(index, numbers.Integral) and not isinstance(index, bool)
        if not integer or not -n <= index <= n:
            raise IndexError(f"{type(self).__name__}.insert: index {index!r} is out of range for "
                             f"its {n} layer(s) (expected {-n} to {n})")
        self._check_layer(layer, index)
        layers = list(self._modules.values())
        layers.insert(index, layer)
        self._rebuild(enumerate(layers))

    def __setitem__(self, index, layer):
        """Replace the layer at ``index``, which keeps its name and place."""
        named = list(self._modules.items())
        i = self._position(index)
        self._check_layer(layer, index)
        named[i] = (named[i][0], layer)
        self._rebuild(named)

    def __delitem__(self, index):
        """Remove a layer (or a slice of them); the rest are numbered again from 0, as torch."""
        layers = list(self._modules.values())
        del layers[index if isinstance(index, slice) else self._position(index)]
        self._rebuild(enumerate(layers))

    def _rebuild(self, named_layers):
        named_layers = [(str(name), layer) for name, layer in named_layers]
        for name in list(self._modules):
            delattr(self, name)
        for name, layer in named_layers:
            self.add_module(name, layer)

    def _check_layer(self, layer, index):
        if not isinstance(layer, Module):
            raise TypeError(f"{type(self).__name__}: item {index} is a "
                            f"{type(layer).__name__}, not a Module")

    def _position(self, index):
        """``index`` as a position 0..n-1, or an error naming the container."""
        n = len(self._modules)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, got "
                            f"{type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__} index {index} is out of range for its "
                             f"{n} layer(s)")
        return int(index) % n

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._of(list(self._modules.items())[index])
        return list(self._modules.values())[self._position(index)]


class Sequential(_Layers):
    """``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))``: forward propagation, layer by layer."""

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            for layer in layers:
                self.append(layer)

    @classmethod
    def _of(cls, named_layers):
        # A slice keeps the layers' names, as torch's does: model[1:] holds '1.weight', not '0.'
        return cls(OrderedDict(named_layers))

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def config(self):
        return {"layers": [
            {"name": name, "type": type(layer).__name__, "config": layer.config()}
            for name, layer in self._modules.items()
        ]}


class ModuleList(_Layers):
    """A list of modules whose parameters the owner sees: ``self.layers = ModuleList([...])``.

    A plain Python list hides its layers from ``parameters()``, so an optimizer would never
    update them; a ``ModuleList`` registers each one under its index (``layers.0.weight``).
    """

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    @classmethod
    def _of(cls, named_layers):
        return cls(layer for _, layer in named_layers)  # renumbered from 0, as in torch

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args):
        raise NotImplementedError("a ModuleList has no forward: loop over it in your module's "
                                  "forward (for layer in self.layers: x = layer(x))")


class ModuleDict(Module):
    """Modules held by name, each registered so the owner sees its parameters
    (``self.heads = ModuleDict({"cls": Linear(8, 3), "box": Linear(8, 4)})``)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no module {key!r} (it has {list(self._modules)})") \
                from None

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(key).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key):
        self[key]  # noqa: B018 - the KeyError that names the keys
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def clear(self):
        for key in list(self._modules):
            del self[key]

    def forward(self, *args):
        raise NotImplementedError("a ModuleDict has no forward: pick a module by name in your "
                                  "module's forward (self.heads['cls'](x))")


def _as_parameter(value, owner):
    from ..tensor import Tensor
    from .parameter import Parameter

    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):  # as torch: a plain tensor becomes a Parameter
        return Parameter(value.array)
    raise TypeError(f"{owner} holds Parameters or Tensors, got a {type(value).__name__}")


class ParameterList(Module):
    """Parameters held in a list, registered under their index (``0``, ``1``, …) so optimizers
    and ``state_dict`` see them; a plain Python list would hide them."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _position(self, index):
        n = len(self._parameters)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"ParameterList indices must be integers, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"ParameterList index {index} is out of range for its {n} "
                             "parameter(s)")
        return int(index) % n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(list(self._parameters.values())[index])
        return self._parameters[str(self._position(index))]

    def __setitem__(self, index, value):
        setattr(self, str(self._position(index)), _as_parameter(value, "ParameterList"))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value):
        setattr(self, str(len(self)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def forward(self, *args):
        raise NotImplementedError("a ParameterList has no forward: use its parameters in your "
                                  "module's forward")


class ParameterDict(Module):
    """Parameters held by name, registered so optimizers and ``state_dict`` see them."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        try:
            return self._parameters[key]
        except KeyError:
            raise KeyError(f"ParameterDict has no parameter {key!r} (it has "
                           f"{list(self._parameters)})") from None

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        setattr(self, key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key):
        self[key]  # noqa: B018 - the KeyError that names the keys
        delattr(self, key)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def update(self, parameters):
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def forward(self, *args):
        raise NotImplementedError("a ParameterDict has no forward: use its parameters in your "
                                  "module's forward")
