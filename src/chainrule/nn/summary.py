"""``summary(model, input_shape)``: a Keras-style table of layers, output shapes and parameters.

The parameter count is the notes' count: every weight plus every bias. A Linear(784, 20) layer
has 784·20 weights + 20 biases = 15,700 parameters.
"""

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


def _leaf_modules(model):
    """The modules that do the work (no children), with their dotted names."""
    leaves = [(name, m) for name, m in model.named_modules() if not m._modules]
    return leaves or [("", model)]


def summary(model, input_shape, print_fn=print, dtype=np.float32):
    """Run one zero batch through ``model`` and tabulate each layer's output shape and size.

    ``input_shape`` excludes the batch axis (Keras' convention): ``summary(model, (28, 28))``.
    """
    records = []
    leaves = _leaf_modules(model)
    originals = {}
    for name, module in leaves:
        def recording_forward(*args, _module=module, _name=name, _forward=module.forward):
            out = _forward(*args)
            records.append((_name, _module, tuple(out.shape)))
            return out

        originals[id(module)] = module
        module.forward = recording_forward  # an instance attribute: removed again below
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(Tensor(np.zeros((1, *tuple(input_shape)), dtype=dtype)))
    finally:
        for module in originals.values():
            del module.__dict__["forward"]
        model.train(was_training)

    rows = []
    for name, module, shape in records:
        params = sum(p.data.size for p in module.parameters())
        rows.append((f"{name} ({type(module).__name__})", "(None, " + ", ".join(
            str(n) for n in shape[1:]) + ")", f"{params:,}"))
    total = sum(p.data.size for p in model.parameters())
    trainable = sum(p.data.size for p in model.parameters() if p.requires_grad)
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
