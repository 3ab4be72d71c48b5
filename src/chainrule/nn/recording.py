"""Seeing what each layer outputs, without changing any layer's code.

``record_outputs(model)`` puts a forward hook on every leaf module (or on the ``modules`` given)
for the duration of a ``with`` block and collects (name, module, output). ``summary`` uses it for
output shapes, the diagnostics for activation statistics and ``viz.module_to_dot`` for one box per
layer. The hooks come off when the block ends: nothing is paid outside it.
"""

import contextlib


def leaf_modules(model):
    """The modules that do the work (no children), with their dotted names."""
    leaves = [(name, m) for name, m in model.named_modules() if not m._modules]
    return leaves or [("", model)]


@contextlib.contextmanager
def record_outputs(model, modules=None):
    """Yield a list that fills with (name, module, output), one entry per call of a watched
    module, in call order. ``modules`` is a list of (name, module); by default the leaves."""
    records = []
    handles = []
    for name, module in leaf_modules(model) if modules is None else modules:
        def record(module, args, output, _name=name):
            records.append((_name, module, output))

        handles.append(module.register_forward_hook(record))
    try:
        yield records
    finally:
        for handle in handles:
            handle.remove()
