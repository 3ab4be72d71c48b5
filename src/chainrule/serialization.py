"""``chainrule.save`` / ``chainrule.load``: models and checkpoints in one safetensors file, never
pickle.

Three things can be saved, all as safetensors files that torch's and the reference reader open:

- a Module: its weights (named as ``state_dict`` names them) and, in the header's metadata, a
  JSON description of the architecture, so a Sequential of chainrule layers comes back from the
  file alone, without the code that built it;
- a flat dict of tensors (a ``state_dict``): the tensors alone;
- anything nested, as ``torch.save`` takes it: a checkpoint such as ``{"epoch": 3, "model":
  model.state_dict(), "optimizer": opt.state_dict()}``. Its arrays are the file's tensors and
  its shape — dicts, lists, tuples, numbers, strings, booleans, None — is JSON in the metadata,
  each array standing as ``{"tensor": name}``. Loading rebuilds the same structure, arrays bit
  for bit, without running any code from the file.

Writes are atomic, and a file that was cut short, altered or crafted is refused with
``CorruptFileError`` before anything it claims is allocated.
"""

import json
import math

import numpy as np

from .devices import as_device, move, to_host
from .io.errors import CorruptFileError
from .io.safetensors import load_tensors, save_tensors
from .tensor import Tensor

FORMAT = "chainrule.model/1"
CHECKPOINT_FORMAT = "chainrule.checkpoint/1"

# A checkpoint nests a few levels (checkpoint → optimizer → state → parameter → array); a file
# claiming more is refused rather than walked, and so is a model of Sequentials in Sequentials.
MAX_DEPTH = 64
MAX_LAYERS = 10_000
# A layer described with sizes whose product exceeds what the file stores (plus this slack for
# layers whose sizes are not weights, like Flatten's dims) would allocate memory the file never
# paid for: a 10 KB file must not build a Linear(100000, 100000).
_BUILD_SLACK = 1 << 16
_FLOAT_DTYPES = ("float16", "float32", "float64")


def _layer_types():
    from . import nn

    return {name: getattr(nn, name) for name in dir(nn)
            if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module)}


def architecture(module):
    """A JSON-ready description of ``module``: its type and constructor arguments."""
    return {"type": type(module).__name__, "config": module.config()}


def build(description, max_elements=None):
    """Rebuild a module (with fresh weights) from ``architecture(module)``.

    ``max_elements`` bounds what any one layer may allocate (``load`` passes the number of values
    the file holds), so a description cannot ask for more memory than its file is worth.
    """
    return _build(description, max_elements, depth=0, count=[0])


def _build(description, max_elements, depth, count):
    from collections import OrderedDict

    from .nn import Sequential

    if depth > MAX_DEPTH:
        raise ValueError(f"the architecture nests more than {MAX_DEPTH} levels deep")
    count[0] += 1
    if count[0] > MAX_LAYERS:
        raise ValueError(f"the architecture has more than {MAX_LAYERS} layers")
    if not isinstance(description, dict):
        raise ValueError(f"a layer must be described by an object, got {_kind(description)}")
    types = _layer_types()
    kind = description.get("type")
    if not isinstance(kind, str) or kind not in types:
        raise ValueError(f"cannot rebuild a layer of unknown type {_short(kind)}")
    config = description.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"{kind}: config must be an object, got {_kind(config)}")
    if types[kind] is Sequential:
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise ValueError("Sequential: config.layers must be a list")
        built = OrderedDict()
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("name"), str):
                raise ValueError("Sequential: each layer needs a string name")
            built[layer["name"]] = _build(layer, max_elements, depth + 1, count)
        return Sequential(built)
    if "dtype" in config and config["dtype"] not in _FLOAT_DTYPES:
        # np.empty(shape, "V1000000000") would take a gigabyte for each of a few elements
        raise ValueError(f"{kind}: dtype must be one of {_FLOAT_DTYPES}, got "
                         f"{_short(config['dtype'])}")
    if max_elements is not None:
        sizes = [v for v in config.values() if isinstance(v, int) and not isinstance(v, bool)]
        claimed = math.prod(max(v, 1) for v in sizes)
        if claimed > max_elements + _BUILD_SLACK:
            raise ValueError(f"{kind} with {config} would allocate about {claimed} values, more "
                             f"than the file holds ({max_elements})")
    try:
        return types[kind](**config)
    except (TypeError, KeyError, AttributeError, OverflowError, IndexError) as e:
        raise ValueError(f"{kind}({_short(config)}): {e}") from None


# --- saving ----------------------------------------------------------------------------------

def save(obj, path):
    """Save a Module (weights + architecture when it can describe itself), a dict of tensors, or
    a nested checkpoint of dicts, lists, tuples, tensors, arrays, numbers, strings and None."""
    from .nn import Module

    metadata = {"format": FORMAT}
    if isinstance(obj, Module):
        tensors = {name: to_host(t.array) for name, t in obj.state_dict().items()}
        try:
            metadata["architecture"] = json.dumps(architecture(obj))
        except NotImplementedError:
            pass  # a custom Module: the weights are saved, the code must rebuild it
    elif _is_flat_tensor_dict(obj):
        tensors = {k: to_host(v.array if isinstance(v, Tensor) else v) for k, v in obj.items()}
    elif isinstance(obj, (dict, list, tuple)):
        tensors = {}
        structure = _encode(obj, tensors, "checkpoint", depth=0)
        metadata = {"format": CHECKPOINT_FORMAT,
                    "structure": json.dumps(structure, separators=(",", ":"), allow_nan=False)}
    else:
        raise TypeError(f"save() takes a Module, a dict of tensors or a nested dict/list "
                        f"checkpoint, not {type(obj).__name__}")
    # save_tensors lays the arrays out in C order itself (np.ascontiguousarray would also turn
    # a 0-d array into shape (1,), which the model could then not load back)
    save_tensors(path, tensors, metadata)


def _is_flat_tensor_dict(obj):
    return (isinstance(obj, dict) and bool(obj)
            and all(isinstance(k, str) and k for k in obj)
            and all(isinstance(v, (Tensor, np.ndarray)) or _on_gpu(v) for v in obj.values()))


def _on_gpu(value):
    """A CuPy array (an optimizer's state on a GPU): saved as an array, copied to the host."""
    return hasattr(value, "__cuda_array_interface__") and not isinstance(value, Tensor)


def _encode(value, tensors, where, depth):
    """The JSON form of ``value``; arrays are moved into ``tensors`` under their path's name."""
    if depth > MAX_DEPTH:
        raise ValueError(f"save: {where} nests more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if _on_gpu(value):
        value = to_host(value)
    if isinstance(value, (Tensor, np.ndarray, np.generic)):  # first: np.float64 is a float too
        if isinstance(value, Tensor):
            kind, array = "tensor", to_host(value.array)
        else:  # an ndarray comes back an ndarray, a NumPy scalar a NumPy scalar (its dtype kept)
            kind = "array" if isinstance(value, np.ndarray) else "scalar"
            array = np.asarray(value)
        name = f"{len(tensors)}:{where}"
        tensors[name] = array
        return {kind: name}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"save: {where} has a key {k!r} of type {type(k).__name__}; "
                                "keys must be strings or integers")
            items.append([k, _encode(v, tensors, f"{where}.{k}", depth + 1)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        encoded = [_encode(v, tensors, f"{where}.{i}", depth + 1) for i, v in enumerate(value)]
        return {"list" if isinstance(value, list) else "tuple": encoded}
    raise TypeError(f"save: {where} is a {type(value).__name__}, which a checkpoint cannot hold "
                    "(tensors, arrays, numbers, strings, booleans, None, and dicts, lists and "
                    "tuples of them)")


# --- loading ---------------------------------------------------------------------------------

def load(path, map_location=None, weights_only=True):
    """Load what ``save`` wrote: a Module when the file holds an architecture, the nested
    structure of a checkpoint, else a dict of tensors (pass it to ``model.load_state_dict``).

    ``map_location`` is the device the tensors (and arrays) go to, as in torch: ``"cpu"`` or
    nothing (where the file's numbers are read), ``"cuda"``, ``"cuda:1"`` or a ``device``.
    ``weights_only`` is accepted so torch code runs: a file is always data only (nothing is
    unpickled).
    """
    if map_location is not None and not isinstance(map_location, (str, int)) and not hasattr(
            map_location, "type"):
        raise TypeError(f"load: map_location must be a device such as 'cpu' or 'cuda:0', got "
                        f"{type(map_location).__name__} (a dict or function of torch's is not "
                        "supported)")
    device = None if map_location is None else as_device(map_location)
    loaded = _load(path)
    return loaded if device is None or device.type == "cpu" else _to_device(loaded, device)


def _to_device(obj, device):
    """Every tensor and array inside ``obj`` (a Module, a dict, a checkpoint) on ``device``."""
    from .nn import Module

    if isinstance(obj, Module):
        return obj.to(device)
    if isinstance(obj, Tensor):
        return Tensor(move(obj.array, device), requires_grad=obj.requires_grad)
    if isinstance(obj, np.ndarray):
        return move(obj, device)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj


def _load(path):
    tensors, metadata = _read(path)
    if metadata.get("format") == CHECKPOINT_FORMAT:
        return _decode_checkpoint(path, tensors, metadata)
    description = metadata.get("architecture")
    if description is None:
        return {k: Tensor(v) for k, v in tensors.items()}
    try:
        parsed = json.loads(description)
        model = build(parsed, max_elements=sum(int(v.size) for v in tensors.values()))
    except RecursionError:
        raise CorruptFileError(path, "the architecture is nested too deeply") from None
    except ValueError as e:
        raise CorruptFileError(path, f"the architecture in this file cannot be rebuilt: "
                                     f"{_short(str(e), 300)}") from None
    try:
        model.load_state_dict(tensors)
    except (ValueError, KeyError, TypeError) as e:
        raise CorruptFileError(path, f"the weights do not fit the architecture: "
                                     f"{_short(str(e), 300)}") from None
    return model


def load_state_dict(path):
    """Only the weights of a saved file, as a dict of tensors, whatever else it holds."""
    tensors, _ = _read(path)
    return {k: Tensor(v) for k, v in tensors.items()}


def _read(path):
    try:
        return load_tensors(path)
    except CorruptFileError:
        _refuse_torch_file(path)
        raise


def _refuse_torch_file(path):
    """A ``torch.save`` file is a zip of pickles (or, before torch 1.6, a bare pickle): name it
    and say how to convert it, rather than 'the header length is 5e18 bytes'."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"PK" or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        raise CorruptFileError(path, (
            "this looks like a PyTorch file written by torch.save (a pickle, which chainrule "
            "never runs). Convert it once, with torch installed: "
            "`from safetensors.torch import save_file; "
            "save_file(torch.load(PATH, weights_only=True), 'model.safetensors')` for a "
            "state_dict, then load that file"))


def _decode_checkpoint(path, tensors, metadata):
    text = metadata.get("structure")
    if not isinstance(text, str):
        raise CorruptFileError(path, "a checkpoint file without its structure")
    try:
        structure = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise CorruptFileError(path, "the checkpoint's structure is nested too deeply") from None
    except ValueError as e:
        raise CorruptFileError(path, f"the checkpoint's structure is not valid JSON: "
                                     f"{_short(str(e), 200)}") from None
    used = set()
    value = _decode(path, structure, tensors, used, depth=0)
    unused = set(tensors) - used
    if unused:
        raise CorruptFileError(path, f"{len(unused)} tensor(s) belong to no place in the "
                                     f"checkpoint, e.g. {_short(min(unused))}")
    return value


def _decode(path, node, tensors, used, depth):
    if depth > MAX_DEPTH:
        raise CorruptFileError(path, f"the checkpoint nests more than {MAX_DEPTH} levels deep")
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((tag, body),) = node.items()
        if tag in ("tensor", "array", "scalar") and isinstance(body, str):
            if body not in tensors:
                raise CorruptFileError(path, f"the checkpoint refers to tensor {_short(body)}, "
                                             "which the file does not hold")
            if body in used:
                raise CorruptFileError(path, f"tensor {_short(body)} is used twice")
            used.add(body)
            array = tensors[body]
            if tag == "tensor":
                return Tensor(array)
            if tag == "scalar":
                if array.ndim:
                    raise CorruptFileError(path, f"scalar {_short(body)} has shape {array.shape}")
                return array[()]
            return array
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag in ("list", "tuple") and isinstance(body, list):
            items = [_decode(path, v, tensors, used, depth + 1) for v in body]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(body, list):
            result = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2
                        and isinstance(pair[0], (str, int)) and not isinstance(pair[0], bool)):
                    raise CorruptFileError(path, f"a dict entry must be [key, value] with a "
                                                 f"string or integer key, got {_short(pair)}")
                if pair[0] in result:
                    raise CorruptFileError(path, f"duplicate key {_short(pair[0])}")
                result[pair[0]] = _decode(path, pair[1], tensors, used, depth + 1)
            return result
    raise CorruptFileError(path, f"unknown entry in the checkpoint's structure: {_short(node)}")


def _no_constant(name):
    raise ValueError(f"{name} is not allowed")


def _kind(value):
    return type(value).__name__


def _short(value, limit=80):
    text = value if isinstance(value, str) and limit > 80 else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
