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
}


def run_onnx(path, x):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def chainrule_output(model, x):
    model.eval()
    with cr.no_grad():
        return model(cr.tensor(x)).data


def inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)
