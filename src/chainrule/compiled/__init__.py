"""``chainrule.compile``: a training step captured once and replayed without building a graph.

``capture.py`` records the step's ops as they run (forward and loss) into a ``Program``;
``replay.py`` runs that program again, the backward in an order computed once; ``update.py``
steps the optimizer on flat buffers; ``fused.py`` holds the numba kernels (``chainrule[fast]``)
that replace elementwise passes and the optimizer update; ``whole_step.py`` writes a whole
step as one numba function (its ops in ``kernel_ops.py``); ``step.py`` ties them together and
recaptures when a shape changes.
"""

from .capture import CaptureError
from .step import CompiledStep, compile

__all__ = ["CaptureError", "CompiledStep", "compile"]
