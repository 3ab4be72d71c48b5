"""``summary(model, input_shape)``: a Keras-style table of layers, output shapes and parameters.

The parameter count is the notes' count: every weight plus every bias. A Linear(784, 20) layer
has 784·20 weights + 20 biases = 15,700 parameters.
"""

import numbers

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .recording import record_outputs


def summary(model, input_shape, print_fn=print, dtype=np.float32):
    """Run one zero batch through ``model`` and tabulate each layer's output shape and size.

    ``input_shape`` excludes the batch axis (Keras' convention): ``summary(model, (28, 28))``;
    an integer n means (n,).
    """
    if isinstance(input_shape, numbers.Integral):
        input_shape = (input_shape,)  # summary(model, 784): one feature axis
    was_training = model.training
    try:
        model.eval()
        # only the shapes matter: weights that overflow on the zero batch are not news here
        with no_grad(), record_outputs(model) as records, np.errstate(all="ignore"):
            model(Tensor(np.zeros((1, *tuple(input_shape)), dtype=dtype)))
    finally:
        model.train(was_training)

    rows = []
    for name, module, out in records:
        shape = tuple(out.shape)
        params = sum(p.array.size for p in module.parameters())
        rows.append((f"{name} ({type(module).__name__})", "(None, " + ", ".join(
            str(n) for n in shape[1:]) + ")", f"{params:,}"))
    total = sum(p.array.size for p in model.parameters())
    trainable = sum(p.array.size for p in model.parameters() if p.requires_grad)
    headers = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) + 4 for i in range(3)]
    width = sum(widths)
    lines = [f'Model: "{type(model).__name__}"', "_" * width,
             "".join(h.ljust(w) for h, w in zip(headers, widths)), "=" * width]
    for i, r in enumerate(rows):
        lines.append("".join(c.ljust(w) for c, w in zip(r, widths)))
        lines.append("_" * width if i < len(rows) - 1 else "=" * width)
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "_" * width]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text
