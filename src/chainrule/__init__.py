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
from .autograd.grad_mode import inference_mode
from .tensor import Tensor, tensor
from .dtypes import (
    Size, bool_, double, float16, float32, float64, get_default_dtype, half, int8, int16, int32,
    int64, long, set_default_dtype, short, uint8,
)
from .dtypes import ALIASES as _ALIASES, UNSUPPORTED as _UNSUPPORTED, refuse_dtype as _refuse
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
from .functional import (
    as_tensor, einsum, empty_like, floor_divide, full_like, is_tensor, isfinite, isinf, isnan,
    masked_fill, numel, unbind,
)
from .functional import (
    add, all, any, bincount, ceil, clamp_max, clamp_min, count_nonzero, div, floor, hstack, log2,
    log10, logical_and, logical_not, logical_or, logical_xor, masked_select, mul, neg, nonzero,
    reciprocal, round, rsqrt, sub, tril, triu, true_divide, unique, vstack,
)
from .functional import column_stack, isclose, lerp, logaddexp, meshgrid
from .random import Generator, manual_seed, rand, rand_like, randint, randn, randn_like, randperm
from .random import bernoulli, multinomial, normal

globals().update(_ALIASES)  # chainrule.float, .int, .bool: torch's names, builtins' too

__version__ = "0.1.0"

_SUBMODULES = ("nn", "optim", "data", "train", "trace", "viz", "rules", "diagnostics", "demos",
               "datasets", "io", "plotting", "progress", "compiled", "cuda", "utils")


def __getattr__(name):
    """``chainrule.nn`` etc. are imported on first use, so ``import chainrule`` stays fast."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        from . import serialization

        return getattr(serialization, name)
    if name == "compile":  # torch.compile's name, for a captured training step
        from .compiled import compile

        return compile
    if name in ("set_num_threads", "get_num_threads"):
        from . import threads

        return getattr(threads, name)
    if name in _UNSUPPORTED:
        raise _refuse(name)
    if name.startswith("_"):
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
    from .errors import missing_name

    raise missing_name("chainrule", name)
