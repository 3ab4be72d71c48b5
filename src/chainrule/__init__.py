"""chainrule: deep learning from first principles on NumPy.

    >>> import chainrule as cr
    >>> x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    >>> f = (x + y) * z
    >>> f.backward()
    >>> x.grad.item(), y.grad.item(), z.grad.item()
    (-4.0, -4.0, 3.0)
"""

# The order matters once: autograd's Function makes Tensors, and the tensor module uses the
# engine's backward pass; importing autograd first lets tensor.py find the engine's submodules
# while function.py waits for Tensor. Then the op methods are bound to Tensor (tensor_methods).
from .autograd import (  # noqa: I001
    Function,
    detect_anomaly,
    enable_grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .tensor import Tensor, tensor, float16, float32, float64, int32, int64, bool_
from .devices import device
from . import tensor_methods  # noqa: F401 - binds x + y, x.sum() … to Tensor
from .errors import AnomalyError, GradcheckError, ShapeError
from .functional import (
    abs, allclose, arange, argmax, argmin, cat, clamp, clip, concatenate, cos, dot, empty, equal,
    exp, expm1, eye, flatten, from_numpy, full, linspace, log, log1p, log_softmax, matmul, max,
    maximum, mean, min, minimum, mm, norm, ones, ones_like, permute, pow, relu, reshape, sigmoid,
    sign, sin, softmax, sqrt, square, squeeze, stack, std, sum, tanh, transpose, unsqueeze, var,
    where, zeros, zeros_like,
)
from .functional import (
    bmm, chunk, flip, gather, index_select, is_floating_point, narrow, outer, roll, split,
)
from .functional import amax, amin, argsort, cumsum, logsumexp, prod, sort, topk
from .random import Generator, manual_seed, rand, randint, randn, randperm

__version__ = "0.1.0"

_SUBMODULES = ("nn", "optim", "data", "train", "trace", "viz", "rules", "diagnostics", "demos",
               "datasets", "io", "plotting", "progress", "utils", "cuda")


def __getattr__(name):
    """``chainrule.nn`` etc. are imported on first use, so ``import chainrule`` stays fast."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        from . import serialization

        return getattr(serialization, name)
    if name in ("set_num_threads", "get_num_threads"):
        from . import threads

        return getattr(threads, name)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
