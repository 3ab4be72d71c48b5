"""``export(model, path, example_input)``: a chainrule ``Sequential`` as an ONNX file.

The exporter is a table keyed by layer class (``EXPORTERS``): each entry is one small function
that writes that layer's ONNX nodes and returns the name of its output. Supporting a new layer is
one more entry. Layers are exported in eval form (Dropout vanishes, as it does in ``model.eval()``).

The example input is run through the model once, layer by layer, so each entry knows the shape
it receives (a Linear on a matrix is a Gemm, on a batch of matrices a MatMul + Add). The batch
dimension is left free in the file.
"""

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..io.atomic import atomic_write
from ..tensor import Tensor
from ._require import require_onnx
from .registry import registrar

OPSET = 13
# The oldest IR version each opset needs (onnx.helper.VERSION_TABLE). onnx.helper stamps its own
# newest IR version, which older runtimes refuse to read.
IR_VERSION = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}

EXPORTERS = {}
exports = registrar(EXPORTERS)  # @exports(OpClass, ...): the decorated function writes those ops


class GraphBuilder:
    """Collects the nodes and the weights (initializers) of the graph being written."""

    def __init__(self, onnx, dtype):
        self.onnx = onnx
        self.dtype = dtype
        self.nodes = []
        self.initializers = []
        self.prefix = ""  # the layer's name in the model ("0", "2"), so weights keep their names
        self.opset = OPSET
        self._count = 0

    def constant(self, name, array, dtype=None):
        """Add a weight; floats are stored in the model's dtype."""
        array = np.asarray(array)
        if dtype is not None:
            array = array.astype(dtype)
        elif array.dtype.kind == "f":
            array = array.astype(self.dtype)
        name = f"{self.prefix}.{name}" if self.prefix else name
        self.initializers.append(self.onnx.numpy_helper.from_array(array.copy(order="C"),
                                                                   name))
        return name

    def node(self, op_type, inputs, **attributes):
        """Add one node; returns the name of its output."""
        self._count += 1
        output = f"{self.prefix or 'graph'}.{op_type}_{self._count}"
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output],
                                                     name=output, **attributes))
        return output

    def elem_type(self):
        return self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(self.dtype))


# -- one entry per layer ------------------------------------------------------------------------
@exports(nn.Linear)
def _linear(g, layer, x, shape):
    """y = x·Wᵀ + b. On a matrix it is ONNX's Gemm, which takes W as (out, in) with transB=1."""
    bias = layer.bias.array if layer.bias is not None else None
    if len(shape) == 2:
        inputs = [x, g.constant("weight", layer.weight.array)]
        if bias is not None:
            inputs.append(g.constant("bias", bias))
        return g.node("Gemm", inputs, transB=1)
    y = g.node("MatMul", [x, g.constant("weight_transposed", layer.weight.array.T)])
    return g.node("Add", [y, g.constant("bias", bias)]) if bias is not None else y


def _elementwise(op_type):
    return lambda g, layer, x, shape: g.node(op_type, [x])


EXPORTERS[nn.ReLU] = _elementwise("Relu")
EXPORTERS[nn.Sigmoid] = _elementwise("Sigmoid")
EXPORTERS[nn.Tanh] = _elementwise("Tanh")


@exports(nn.LeakyReLU)
def _leaky_relu(g, layer, x, shape):
    return g.node("LeakyRelu", [x], alpha=float(layer.negative_slope))


@exports(nn.ELU)
def _elu(g, layer, x, shape):
    return g.node("Elu", [x], alpha=float(layer.alpha))


@exports(nn.Step)
def _step(g, layer, x, shape):
    """1 where x > 0, else 0: a comparison cast back to the model's float type."""
    positive = g.node("Greater", [x, g.constant("zero", np.zeros((), g.dtype))])
    return g.node("Cast", [positive], to=g.elem_type())


@exports(nn.Softmax)
def _softmax(g, layer, x, shape):
    # From opset 13 ONNX's Softmax works along one axis, as torch's dim does.
    return g.node("LogSoftmax" if isinstance(layer, nn.LogSoftmax) else "Softmax", [x],
                  axis=int(layer.dim))


EXPORTERS[nn.LogSoftmax] = _softmax


@exports(nn.Identity)
def _identity(g, layer, x, shape):
    return g.node("Identity", [x])  # written, not left out, so the model loads back the same


@exports(nn.Dropout)
def _dropout(g, layer, x, shape):
    """ONNX's Dropout in inference passes its input through, as Dropout does in eval mode; it is
    written (not left out) so that a model loaded back from the file still has it."""
    return g.node("Dropout", [x, g.constant("ratio", np.array(layer.p, g.dtype))])


@exports(nn.Flatten)
def _flatten(g, layer, x, shape):
    """Flatten(1, -1) is ONNX's Flatten; other spans become a Reshape that keeps the batch free."""
    rank = len(shape)
    start, end = layer.start_dim % rank, layer.end_dim % rank
    if start == 1 and end == rank - 1:
        return g.node("Flatten", [x], axis=1)
    if start >= end:
        return x
    # 0 copies the input's dim (the batch), -1 is the flattened span, later dims are fixed.
    target = [0] + list(shape[1:start]) if start > 0 else []
    target += [-1] + list(shape[end + 1:])
    return g.node("Reshape", [x, g.constant("shape", np.array(target, np.int64))])


def _refuse(layer, why):
    raise ValueError(f"chainrule.onnx.export: {type(layer).__name__}: {why}")


@exports(nn.Conv2d)
def _conv2d(g, layer, x, shape):
    """Conv: the same cross-correlation as torch; 'same' written as its explicit pads."""
    if layer.padding == "same":
        total = [d * (k - 1) for d, k in zip(layer.dilation, layer.kernel_size)]
        begin = [t // 2 for t in total]  # an odd total puts the extra pixel at the end, as torch
        pads = begin + [t - b for t, b in zip(total, begin)]
    elif layer.padding == "valid":
        pads = [0, 0, 0, 0]
    else:
        pads = list(layer.padding) * 2
    if layer.padding_mode != "zeros" and not isinstance(layer.padding, str) and any(pads):
        if layer.padding_mode == "circular":
            _refuse(layer, "padding_mode='circular' has no ONNX Pad mode before opset 19")
        mode = {"reflect": "reflect", "replicate": "edge"}[layer.padding_mode]
        ph, pw = pads[0], pads[1]
        x = g.node("Pad", [x, g.constant("pads", np.array([0, 0, ph, pw, 0, 0, ph, pw],
                                                          np.int64))], mode=mode)
        pads = [0, 0, 0, 0]
    inputs = [x, g.constant("weight", layer.weight.array)]
    if layer.bias is not None:
        inputs.append(g.constant("bias", layer.bias.array))
    return g.node("Conv", inputs, kernel_shape=list(layer.kernel_size), pads=pads,
                  strides=list(layer.stride), dilations=list(layer.dilation), group=layer.groups)


@exports(nn.MaxPool2d)
def _max_pool2d(g, layer, x, shape):
    return g.node("MaxPool", [x], kernel_shape=list(layer.kernel_size),
                  strides=list(layer.stride), pads=list(layer.padding) * 2,
                  dilations=list(layer.dilation), ceil_mode=int(layer.ceil_mode))


@exports(nn.AvgPool2d)
def _avg_pool2d(g, layer, x, shape):
    if layer.divisor_override is not None:
        _refuse(layer, "divisor_override has no ONNX AveragePool form")
    return g.node("AveragePool", [x], kernel_shape=list(layer.kernel_size),
                  strides=list(layer.stride), pads=list(layer.padding) * 2,
                  ceil_mode=int(layer.ceil_mode),
                  count_include_pad=int(layer.count_include_pad))


@exports(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(g, layer, x, shape):
    """Eval form: (x − running mean)/√(running var + ε)·γ + β, ONNX's BatchNormalization."""
    if layer.running_mean is None:
        _refuse(layer, "track_running_stats=False normalises with each batch's own statistics, "
                       "which ONNX's inference BatchNormalization cannot")
    n = layer.num_features
    weight = layer.weight.array if layer.weight is not None else np.ones(n)
    bias = layer.bias.array if layer.bias is not None else np.zeros(n)
    return g.node("BatchNormalization",
                  [x, g.constant("weight", weight), g.constant("bias", bias),
                   g.constant("running_mean", layer.running_mean.array),
                   g.constant("running_var", layer.running_var.array)],
                  epsilon=float(layer.eps))


@exports(nn.LayerNorm)
def _layer_norm(g, layer, x, shape):
    """LayerNormalization, which ONNX has from opset 17 (so the file is opset 17, IR 8)."""
    g.opset = max(g.opset, 17)
    dims = layer.normalized_shape
    weight = layer.weight.array if layer.weight is not None else np.ones(dims)
    inputs = [x, g.constant("weight", weight)]
    if layer.bias is not None:
        inputs.append(g.constant("bias", layer.bias.array))
    return g.node("LayerNormalization", inputs, axis=-len(dims), epsilon=float(layer.eps))


@exports(nn.GELU)
def _gelu(g, layer, x, shape):
    """Gelu, which ONNX has from opset 20 (so the file is opset 20, IR 9)."""
    g.opset = max(g.opset, 20)
    return g.node("Gelu", [x], approximate=layer.approximate)


@exports(nn.SiLU)
def _silu(g, layer, x, shape):
    """x·σ(x), as torch writes it: Sigmoid, then Mul with the input."""
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


@exports(nn.Softplus)
def _softplus(g, layer, x, shape):
    """log(1 + eˣ) for β = 1; softplus(βx)/β otherwise. ONNX's has no threshold: past it torch
    returns x, and log(1 + eˣ) is x to float32 rounding there."""
    if layer.beta == 1:
        return g.node("Softplus", [x])
    beta = g.constant("beta", np.array(layer.beta, g.dtype))
    return g.node("Div", [g.node("Softplus", [g.node("Mul", [x, beta])]), beta])


EXPORTERS[nn.Dropout2d] = _dropout  # in eval form the same pass-through as Dropout


# -- the graph ----------------------------------------------------------------------------------
def named_layers(model, prefix=""):
    """The layers of a (possibly nested) Sequential in the order they run, with their names."""
    if isinstance(model, nn.Sequential):
        for name, layer in model.named_children():
            yield from named_layers(layer, f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix, model


def _model_dtype(model):
    kinds = {p.array.dtype for p in model.parameters()}
    return np.float64 if np.dtype(np.float64) in kinds else np.float32


def export(model, path, example_input, input_scaling=None):
    """Write ``model`` to ``path`` as ONNX (opset 13) and return the path.

    ``example_input`` is a batch of inputs (any batch size): it fixes every dimension except the
    batch. ``input_scaling=(mean, std)`` puts ``(x - mean) / std`` before the first layer, so
    the file takes raw inputs (``chainrule export`` folds in a run's scaling this way). A layer
    with no ONNX form raises a ValueError naming it.
    """
    onnx = require_onnx("chainrule.onnx.export")
    if not isinstance(model, nn.Module):
        raise TypeError(f"chainrule.onnx.export: model must be an nn.Module, got "
                        f"{type(model).__name__}")
    layers = list(named_layers(model))
    if not isinstance(model, nn.Sequential):
        layers = [("", model)]
    for name, layer in layers:
        if type(layer) not in EXPORTERS:
            where = f"layer {name!r} " if name else ""
            known = ", ".join(sorted(cls.__name__ for cls in EXPORTERS))
            raise ValueError(f"chainrule.onnx.export: {where}({type(layer).__name__}) has no ONNX "
                             f"export; layers that export: {known} (a Sequential of them)")
    dtype = _model_dtype(model)
    x = np.asarray(example_input.array if isinstance(example_input, Tensor) else example_input,
                   dtype=dtype)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"chainrule.onnx.export: example_input must be a batch of at least one "
                         f"input, got shape {x.shape}")

    g = GraphBuilder(onnx, dtype)
    current = "input"
    if input_scaling is not None:
        mean, std = (np.asarray(a, dtype).reshape(x.shape[1:]) for a in input_scaling)
        g.prefix = "input_scaling"
        current = g.node("Div", [g.node("Sub", [current, g.constant("mean", mean)]),
                                 g.constant("std", std)])
        x = ((x - mean) / std).astype(dtype)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            value = Tensor(x) if not isinstance(x, Tensor) else x
            for name, layer in layers:
                g.prefix = name
                current = EXPORTERS[type(layer)](g, layer, current, value.shape)
                value = layer(value)
    finally:
        model.train(was_training)
    if current == "input":  # no layer at all, or a Flatten of nothing
        g.prefix = ""
        current = g.node("Identity", [current])
    g.nodes[-1].output[0] = "output"
    g.nodes[-1].name = "output"

    h = onnx.helper
    elem = g.elem_type()
    graph = h.make_graph(
        g.nodes, "chainrule", [h.make_tensor_value_info("input", elem, ["batch", *x.shape[1:]])],
        [h.make_tensor_value_info("output", elem, ["batch", *value.shape[1:]])],
        initializer=g.initializers)
    proto = h.make_model(graph, opset_imports=[h.make_opsetid("", g.opset)],
                         producer_name="chainrule")
    proto.ir_version = IR_VERSION[g.opset]
    onnx.checker.check_model(proto, full_check=True)
    with atomic_write(path) as f:
        f.write(proto.SerializeToString())
    return path
