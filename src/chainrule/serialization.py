"""``chainrule.save`` / ``chainrule.load``: a model in one safetensors file, never pickle.

The file holds the weights (named as ``state_dict`` names them, so torch can read them) and, in
the header's metadata, a JSON description of the architecture: a Sequential of chainrule layers
comes back from the file alone, without the code that built it. Writes are atomic, and a file
that was cut short or altered is refused with an error that says so.
"""

import json

import numpy as np

from .io.safetensors import load_tensors, save_tensors
from .tensor import Tensor

FORMAT = "chainrule.model/1"


def _layer_types():
    from . import nn

    return {name: getattr(nn, name) for name in dir(nn)
            if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module)}


def architecture(module):
    """A JSON-ready description of ``module``: its type and constructor arguments."""
    return {"type": type(module).__name__, "config": module.config()}


def build(description):
    """Rebuild a module (with fresh weights) from ``architecture(module)``."""
    from .nn import Sequential

    types = _layer_types()
    kind = description.get("type")
    if kind not in types:
        raise ValueError(f"cannot rebuild a layer of unknown type {kind!r}")
    config = dict(description.get("config", {}))
    if types[kind] is Sequential:
        from collections import OrderedDict

        return Sequential(OrderedDict(
            (layer["name"], build(layer)) for layer in config["layers"]
        ))
    return types[kind](**config)


def save(obj, path):
    """Save a Module (weights + architecture when it can describe itself) or a dict of tensors."""
    from .nn import Module

    metadata = {"format": FORMAT}
    if isinstance(obj, Module):
        tensors = {name: t.data for name, t in obj.state_dict().items()}
        try:
            metadata["architecture"] = json.dumps(architecture(obj))
        except NotImplementedError:
            pass  # a custom Module: the weights are saved, the code must rebuild it
    elif isinstance(obj, dict):
        tensors = {str(k): (v.data if isinstance(v, Tensor) else np.asarray(v))
                   for k, v in obj.items()}
    else:
        raise TypeError(f"save() takes a Module or a dict of tensors, not {type(obj).__name__}")
    # save_tensors lays the arrays out in C order itself (np.ascontiguousarray would also turn
    # a 0-d array into shape (1,), which the model could then not load back)
    save_tensors(path, tensors, metadata)


def load(path):
    """Load what ``save`` wrote: a Module when the file holds an architecture, else a dict of
    tensors (pass it to ``model.load_state_dict``)."""
    tensors, metadata = load_tensors(path)
    description = metadata.get("architecture")
    if description is None:
        return {k: Tensor(v) for k, v in tensors.items()}
    try:
        model = build(json.loads(description))
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"{path}: the architecture in this file cannot be rebuilt: {e}") from None
    model.load_state_dict(tensors)
    return model


def load_state_dict(path):
    """Only the weights of a saved file, as a dict of tensors, whatever else it holds."""
    tensors, _ = load_tensors(path)
    return {k: Tensor(v) for k, v in tensors.items()}
