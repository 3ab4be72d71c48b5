"""What the ONNX tests share: one instance of every exportable layer, and running a model."""

import numpy as np

import chainrule as cr
from chainrule import nn

# One instance of every layer class in the export table, and the input shape it is checked on.
LAYERS = {
    nn.Linear: (lambda: nn.Linear(6, 4), (5, 6)),
    nn.ReLU: (nn.ReLU, (5, 6)),
    nn.Sigmoid: (nn.Sigmoid, (5, 6)),
    nn.Tanh: (nn.Tanh, (5, 6)),
    nn.LeakyReLU: (lambda: nn.LeakyReLU(0.2), (5, 6)),
    nn.ELU: (lambda: nn.ELU(0.7), (5, 6)),
    nn.Step: (nn.Step, (5, 6)),
    nn.Softmax: (lambda: nn.Softmax(dim=1), (5, 6)),
    nn.LogSoftmax: (lambda: nn.LogSoftmax(dim=1), (5, 6)),
    nn.Flatten: (nn.Flatten, (5, 3, 4)),
    nn.Dropout: (lambda: nn.Dropout(0.4), (5, 6)),
    nn.Identity: (nn.Identity, (5, 6)),
    nn.Conv2d: (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 7, 7)),
    nn.MaxPool2d: (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7)),
    nn.AvgPool2d: (lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False), (2, 2, 7, 7)),
    nn.BatchNorm1d: (lambda: trained_batch_norm(nn.BatchNorm1d(6), (5, 6)), (5, 6)),
    nn.BatchNorm2d: (lambda: trained_batch_norm(nn.BatchNorm2d(2), (4, 2, 3, 3)), (4, 2, 3, 3)),
    nn.LayerNorm: (lambda: nn.LayerNorm(6), (5, 6)),
    nn.GELU: (nn.GELU, (5, 6)),
    nn.SiLU: (nn.SiLU, (5, 6)),
    nn.Softplus: (nn.Softplus, (5, 6)),
    nn.Dropout2d: (lambda: nn.Dropout2d(0.3), (2, 2, 3, 3)),
}


def trained_batch_norm(layer, shape):
    """A batch norm whose running statistics and γ, β are no longer the initial 0, 1."""
    rng = np.random.default_rng(9)
    for _ in range(3):
        layer(cr.tensor(rng.normal(2.0, 3.0, size=shape).astype(np.float32)))
    layer.weight.array[...] = rng.uniform(0.5, 2, layer.num_features)
    layer.bias.array[...] = rng.normal(size=layer.num_features)
    return layer


def run_onnx(path, x):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def chainrule_output(model, x):
    model.eval()
    with cr.no_grad():
        return model(cr.tensor(x)).array


def inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)
