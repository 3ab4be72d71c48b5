"""``Sequential``: layers applied one after the other, the output of one the input of the next."""

from collections import OrderedDict

from .module import Module


class Sequential(Module):
    """``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))``: forward propagation, layer by layer."""

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            for i, layer in enumerate(layers):
                if not isinstance(layer, Module):
                    raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, "
                                    "not a Module")
                self.add_module(str(i), layer)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def append(self, layer):
        self.add_module(str(len(self._modules)), layer)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def config(self):
        return {"layers": [
            {"name": name, "type": type(layer).__name__, "config": layer.config()}
            for name, layer in self._modules.items()
        ]}
