"""``load(path)``: a feed-forward ONNX graph as a chainrule ``Sequential`` with its weights.

A feed-forward graph is a chain: each operator takes the previous one's output (and weights).
That is what PyTorch's and Keras' exporters write for an MLP: Gemm (or MatMul + Add), the
activations, Flatten. ``IMPORTERS`` is a table keyed by ONNX operator; each entry is one small
function that turns a node into chainrule layers. An operator without an entry, or a graph that
branches, is refused by name.
"""

import numpy as np

from .. import nn
from ._require import require_onnx
from .registry import registrar

IMPORTERS = {}
imports = registrar(IMPORTERS)  # @imports("Gemm", ...): the decorated function reads those nodes


class Node:
    """One ONNX node, read: its operator, attributes, data input and weights (NumPy arrays)."""

    def __init__(self, onnx, proto, weights, opset, ranks):
        self.op_type = proto.op_type
        self.name = proto.name or proto.op_type
        self.attributes = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
        self.inputs = list(proto.input)
        self.outputs = list(proto.output)
        self.opset = opset
        data = [name for name in self.inputs if name and name not in weights]
        self.data_inputs = data
        self.weights = [weights.get(name) if name else None for name in self.inputs]
        self.input_rank = ranks.get(data[0]) if data else None  # None when shapes are unknown

    def refuse(self, why):
        raise ValueError(f"chainrule.onnx.load: {self.op_type} node {self.name!r}: {why}")


def _linear(weight_in_out, bias):
    """A Linear layer holding ``weight_in_out`` (in, out) as its (out, in) weight."""
    n_in, n_out = weight_in_out.shape
    layer = nn.Linear(n_in, n_out, bias=bias is not None)
    layer.weight.array[...] = weight_in_out.T
    if bias is not None:
        layer.bias.array[...] = np.broadcast_to(bias, (n_out,))
    return layer


# -- one entry per operator ---------------------------------------------------------------------
@imports("Gemm")
def _gemm(node, following):
    """alpha·x·B + beta·C, B stored (in, out), or (out, in) with transB=1 (torch's Linear)."""
    a = node.attributes
    if a.get("transA", 0):
        node.refuse("transA=1 (a transposed input) is not a layer")
    b = node.weights[1]
    if b is None or b.ndim != 2:
        node.refuse("its second input must be a 2-D weight stored in the file")
    weight = (b.T if a.get("transB", 0) else b) * a.get("alpha", 1.0)
    bias = node.weights[2] if len(node.weights) > 2 else None
    if bias is not None:
        if bias.size not in (1, weight.shape[1]):
            node.refuse(f"a bias of shape {bias.shape} does not fit {weight.shape[1]} outputs")
        bias = bias.reshape(-1) * a.get("beta", 1.0)
    return [_linear(weight.astype(np.float32), bias)], 0


@imports("MatMul")
def _matmul(node, following):
    """x·W, and the Add of a bias right after it if there is one (Keras' exporter writes so)."""
    w = node.weights[1]
    if w is None or w.ndim != 2 or node.weights[0] is not None:
        node.refuse("only x·W with a 2-D weight W stored in the file is a Linear layer")
    nxt = following[0] if following else None
    if (nxt is not None and nxt.op_type == "Add" and nxt.data_inputs == node.outputs
            and any(b is not None for b in nxt.weights)):
        bias = next(b for b in nxt.weights if b is not None)
        if bias.size in (1, w.shape[1]):
            return [_linear(w, bias.reshape(-1))], 1
    return [_linear(w, None)], 0


def _attribute(node, name, default):
    """A float attribute as written: ONNX stores float32, so 0.1 reads back as 0.100000001;
    the shortest decimal that gives the same float32 is the number the exporter was given."""
    value = node.attributes.get(name, default)
    return float(str(np.float32(value)))


def _simple(layer_of):
    return lambda node, following: ([layer_of(node)], 0)


IMPORTERS["Relu"] = _simple(lambda node: nn.ReLU())
IMPORTERS["Tanh"] = _simple(lambda node: nn.Tanh())
IMPORTERS["LeakyRelu"] = _simple(lambda node: nn.LeakyReLU(_attribute(node, "alpha", 0.01)))
IMPORTERS["Elu"] = _simple(lambda node: nn.ELU(_attribute(node, "alpha", 1.0)))


@imports("Softmax", "LogSoftmax")
def _softmax(node, following):
    # Before opset 13 Softmax flattened the input to 2-D at `axis` (default 1): the same as a
    # softmax along dim 1 only for a matrix, which is what an MLP ends with.
    default = -1 if node.opset >= 13 else 1
    axis = node.attributes.get("axis", default)
    if node.opset < 13 and axis not in (1, -1):
        node.refuse(f"axis={axis} before opset 13 flattens the input; only axis 1 is a layer")
    layer = nn.LogSoftmax(dim=axis) if node.op_type == "LogSoftmax" else nn.Softmax(dim=axis)
    return [layer], 0


@imports("Flatten")
def _flatten(node, following):
    axis = node.attributes.get("axis", 1)
    if axis != 1:
        node.refuse(f"axis={axis}: only axis=1 (keep the batch, flatten the rest) is a layer")
    return [nn.Flatten()], 0


@imports("Reshape")
def _reshape(node, following):
    """A reshape to (batch, features), as Keras' exporter flattens: a Flatten layer."""
    shape = node.weights[1]
    if shape is None or shape.ndim != 1 or len(shape) != 2 or shape[0] not in (-1, 0):
        node.refuse(f"only a reshape to (batch, features) is a layer (Flatten); this one is "
                    f"to {None if shape is None else shape.tolist()}")
    return [nn.Flatten()], 0


@imports("Dropout")
def _dropout(node, following):
    ratio = node.weights[1] if len(node.weights) > 1 and node.weights[1] is not None else None
    p = float(str(np.float32(ratio))) if ratio is not None else _attribute(node, "ratio", 0.5)
    return [nn.Dropout(p)], 0


@imports("Greater")
def _step(node, following):
    """Greater(x, 0) then Cast to float, as chainrule exports its Step: a Step layer."""
    zero = node.weights[1]
    nxt = following[0] if following else None
    if (zero is None or zero.size != 1 or float(zero.reshape(-1)[0]) != 0.0 or nxt is None
            or nxt.op_type != "Cast" or nxt.data_inputs != node.outputs):
        node.refuse("only x > 0 cast back to float (a step function) is a layer")
    return [nn.Step()], 1


@imports("Sigmoid")
def _sigmoid(node, following):
    """σ(x); followed by a Mul of x and σ(x) it is x·σ(x), SiLU (as torch writes it)."""
    nxt = following[0] if following else None
    if (nxt is not None and nxt.op_type == "Mul"
            and sorted(nxt.data_inputs) == sorted(node.data_inputs + node.outputs)):
        return [nn.SiLU()], 1
    return [nn.Sigmoid()], 0


IMPORTERS["Softplus"] = _simple(lambda node: nn.Softplus())
IMPORTERS["Gelu"] = _simple(lambda node: nn.GELU(node.attributes.get("approximate", b"none")
                                                 .decode()))


def _window(node, default_kernel=None, same_ok=False):
    """kernel, stride, padding and dilation of a Conv or pooling node as (h, w) pairs; the
    padding is 'same' where it is torch's (stride 1, the odd pixel at the end)."""
    a = node.attributes
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID"):
        node.refuse(f"auto_pad={a['auto_pad'].decode()} is not a fixed padding")
    kernel = tuple(a.get("kernel_shape", default_kernel or ()))
    if len(kernel) != 2:
        node.refuse(f"only 2-D windows are layers, this one is {list(kernel)}")
    pads = list(a.get("pads", [0, 0, 0, 0]))
    stride = tuple(a.get("strides", [1, 1]))
    dilation = tuple(a.get("dilations", [1, 1]))
    if pads[:2] == pads[2:]:
        return kernel, stride, tuple(pads[:2]), dilation
    total = [d * (k - 1) for d, k in zip(dilation, kernel)]
    same = [t // 2 for t in total] + [t - t // 2 for t in total]
    if same_ok and stride == (1, 1) and pads == same:
        return kernel, stride, "same", dilation
    node.refuse(f"pads {pads} differ at the start and the end of a dim; only symmetric "
                f"padding (or torch's 'same') is a layer")


def _spatial_pad(node):
    """The (h, w) padding and mode of a Pad node that pads only height and width, evenly."""
    pads = node.weights[1] if len(node.weights) > 1 else None
    pads = list(node.attributes.get("pads", [])) if pads is None else pads.tolist()
    mode = node.attributes.get("mode", b"constant").decode()
    if (len(pads) != 8 or pads[:2] != [0, 0] or pads[4:6] != [0, 0] or pads[2:4] != pads[6:]
            or mode not in ("reflect", "edge")):
        node.refuse(f"only a reflect or edge Pad of height and width, the same at both ends, "
                    f"is a layer's padding (this one: mode {mode}, pads {pads})")
    return tuple(pads[2:4]), {"reflect": "reflect", "edge": "replicate"}[mode]


@imports("Conv", "Pad")
def _conv(node, following):
    """Conv, or a reflect/edge Pad followed by Conv: Conv2d (its padding_mode)."""
    padding_mode, skipped = "zeros", 0
    if node.op_type == "Pad":
        padding, padding_mode = _spatial_pad(node)
        nxt = following[0] if following else None
        if nxt is None or nxt.op_type != "Conv" or nxt.data_inputs != node.outputs:
            node.refuse("a Pad that does not lead into a Conv is not a layer")
        node, skipped = nxt, 1
    weight = node.weights[1]
    if weight is None or weight.ndim != 4:
        node.refuse("only a 2-D convolution with its 4-D weight stored in the file is a layer")
    kernel, stride, conv_padding, dilation = _window(node, weight.shape[2:], same_ok=True)
    if padding_mode == "zeros":
        padding = conv_padding
    elif conv_padding != (0, 0):
        node.refuse("a Conv that pads again after a Pad is not one layer")
    groups = node.attributes.get("group", 1)
    bias = node.weights[2] if len(node.weights) > 2 else None
    layer = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], kernel, stride, padding,
                      dilation, groups, bias=bias is not None, padding_mode=padding_mode)
    layer.weight.array[...] = weight
    if bias is not None:
        layer.bias.array[...] = bias
    return [layer], skipped


@imports("MaxPool")
def _max_pool(node, following):
    if len(node.outputs) > 1 and node.outputs[1]:
        node.refuse("the indices output has no layer")
    kernel, stride, padding, dilation = _window(node)
    return [nn.MaxPool2d(kernel, stride, padding, dilation,
                         ceil_mode=bool(node.attributes.get("ceil_mode", 0)))], 0


@imports("AveragePool")
def _avg_pool(node, following):
    kernel, stride, padding, dilation = _window(node)
    if dilation != (1, 1):
        node.refuse("a dilated average pool has no layer")
    a = node.attributes
    return [nn.AvgPool2d(kernel, stride, padding, ceil_mode=bool(a.get("ceil_mode", 0)),
                         count_include_pad=bool(a.get("count_include_pad", 0)))], 0


@imports("BatchNormalization")
def _batch_norm(node, following):
    """Inference batch norm: BatchNorm2d on images, BatchNorm1d on features or sequences."""
    if node.attributes.get("training_mode", 0):
        node.refuse("training_mode=1 normalises with each batch's statistics")
    scale, bias, mean, var = node.weights[1:5]
    if any(w is None for w in (scale, bias, mean, var)):
        node.refuse("its scale, bias, mean and variance must be stored in the file")
    rank = node.input_rank
    if rank not in (2, 3, 4):
        node.refuse(f"its input has {rank or 'an unknown number of'} dims; BatchNorm1d takes "
                    f"2 or 3, BatchNorm2d 4")
    layer = (nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d)(
        len(scale), eps=_attribute(node, "epsilon", 1e-5))
    for tensor, value in ((layer.weight, scale), (layer.bias, bias),
                          (layer.running_mean, mean), (layer.running_var, var)):
        tensor.array[...] = value
    return [layer], 0


@imports("LayerNormalization")
def _layer_norm(node, following):
    axis = node.attributes.get("axis", -1)
    scale = node.weights[1]
    bias = node.weights[2] if len(node.weights) > 2 else None
    rank = node.input_rank
    n_dims = -axis if axis < 0 else (rank - axis if rank else None)
    if scale is None or n_dims is None or scale.ndim != n_dims:
        node.refuse("only a scale stored in the file, shaped as the normalised dims, is a layer")
    layer = nn.LayerNorm(scale.shape, eps=_attribute(node, "epsilon", 1e-5),
                         bias=bias is not None)
    layer.weight.array[...] = scale
    if bias is not None:
        layer.bias.array[...] = bias
    return [layer], 0


@imports("Sub")
def _input_scaling(node, following):
    """(x − mean)/std before a Linear (maybe after a Flatten), as ``chainrule export`` writes a
    run's scaling: folded into that Linear, W' = W/std and b' = b − W'·mean, so the Sequential
    takes raw inputs as the file does."""
    div = following[0] if following else None
    mean = node.weights[1]
    std = div.weights[1] if div is not None and div.op_type == "Div" else None
    if mean is None or std is None or div.data_inputs != node.outputs:
        node.refuse("only (x − mean)/std before a Linear, a run's input scaling, is folded into "
                    "a layer")
    rest, skipped = following[1:], 1
    layers = []
    if rest and rest[0].op_type in ("Flatten", "Reshape") and rest[0].data_inputs == div.outputs:
        layers, _ = IMPORTERS[rest[0].op_type](rest[0], rest[1:])
        rest, skipped = rest[1:], skipped + 1
    if not rest or rest[0].op_type not in ("Gemm", "MatMul"):
        node.refuse("only (x − mean)/std before a Linear, a run's input scaling, is folded into "
                    "a layer")
    linear_layers, consumed = IMPORTERS[rest[0].op_type](rest[0], rest[1:])
    linear = linear_layers[0]
    n_in = linear.in_features
    mean, std = (a.reshape(-1) for a in np.broadcast_arrays(mean, std))
    if mean.size not in (1, n_in):
        node.refuse(f"a scaling of {mean.size} values does not fit a Linear of {n_in} inputs")
    weight = linear.weight.array.astype(np.float64) / std.astype(np.float64)
    bias = -weight @ np.broadcast_to(mean, (n_in,)).astype(np.float64)
    if linear.bias is not None:
        bias += linear.bias.array
    else:
        linear.bias = nn.Parameter(np.zeros(linear.out_features, np.float32))
    linear.weight.array[...] = weight
    linear.bias.array[...] = bias
    return layers + [linear], skipped + 1 + consumed


@imports("Identity")
def _identity(node, following):
    return [nn.Identity()], 0


# -- the graph ----------------------------------------------------------------------------------
def _weights(onnx, graph):
    """The graph's stored tensors: initializers, Constant nodes, and what nodes compute from
    those alone (torch computes a Pad's pads from constants, for one), folded here with ONNX's
    reference evaluator, so the chain that is left is made of layers."""
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator

    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for proto in graph.node:
        if proto.op_type == "Constant" and proto.attribute and proto.attribute[0].name == "value":
            weights[proto.output[0]] = numpy_helper.to_array(proto.attribute[0].t)
        elif proto.input and all(name in weights for name in proto.input if name):
            try:
                values = ReferenceEvaluator(proto).run(
                    None, {name: weights[name] for name in proto.input if name})
            except Exception:  # noqa: BLE001 - left in the chain, to be refused by name there
                continue
            weights.update(zip(proto.output, values))
    return weights


def _ranks(onnx, proto):
    """The number of dims of each tensor whose shape ONNX's shape inference finds."""
    try:
        inferred = onnx.shape_inference.infer_shapes(proto).graph
    except Exception:  # noqa: BLE001 - shapes are a help here, never a requirement
        inferred = proto.graph
    ranks = {}
    for info in list(inferred.input) + list(inferred.value_info) + list(inferred.output):
        if info.type.tensor_type.HasField("shape"):
            ranks[info.name] = len(info.type.tensor_type.shape.dim)
    return ranks


def load(path):
    """The ONNX file at ``path`` as an ``nn.Sequential`` (float32, in training mode as a new
    model is); ValueError naming the operator for anything that is not a chain of layers."""
    onnx = require_onnx("chainrule.onnx.load")
    from google.protobuf.message import DecodeError  # onnx's own dependency

    try:
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto)
    except (OSError, DecodeError, onnx.checker.ValidationError, ValueError) as e:
        raise ValueError(f"chainrule.onnx.load: {path} is not a valid ONNX model ({e})") from None
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)
    graph = proto.graph
    weights = _weights(onnx, graph)
    inputs = [i.name for i in graph.input if i.name not in weights]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError(f"chainrule.onnx.load: {path} has {len(inputs)} inputs and "
                         f"{len(graph.output)} outputs; a Sequential has one of each")
    ranks = _ranks(onnx, proto)
    nodes = [Node(onnx, p, weights, opset, ranks) for p in graph.node
             if not (p.output and p.output[0] in weights)]  # Constant nodes are weights
    current, layers, i = inputs[0], [], 0
    while i < len(nodes):
        node = nodes[i]
        if node.data_inputs != [current]:
            node.refuse(f"takes {node.data_inputs or 'no tensor'} but the chain's tensor here "
                        f"is {current!r}; only a feed-forward chain of layers becomes a "
                        "Sequential")
        if node.op_type not in IMPORTERS:
            node.refuse(f"this operator has no chainrule layer; operators that load: "
                        f"{', '.join(sorted(IMPORTERS))}")
        new_layers, skipped = IMPORTERS[node.op_type](node, nodes[i + 1:])
        layers += new_layers
        i += skipped
        current = nodes[i].outputs[0]
        i += 1
    if current != graph.output[0].name:
        raise ValueError(f"chainrule.onnx.load: the chain ends at {current!r}, but the graph's "
                         f"output is {graph.output[0].name!r}")
    return nn.Sequential(*layers)
