"""The engine's two hooks for ``chainrule.compiled``, which captures a training step once.

``recorders``: while a step is captured, ``Function.apply`` hands every op it runs (its class,
arguments and output) to the last recorder here. One list, checked once per op, so nothing is
paid when nobody captures (as the backward observers in ``engine.py``).

``value_read``: a tensor method that turns values into Python (``item``, ``bool`` …) calls it.
While a step is captured that is Python control flow on the data, which a replay cannot follow
(``jax.jit`` refuses it for the same reason), so the recorder refuses it by name.
"""

recorders = []


def value_read(what):
    """Called by ``Tensor.item`` and its kin; the recorder raises if a capture is running."""
    if recorders:
        recorders[-1].refuse_value_read(what)
